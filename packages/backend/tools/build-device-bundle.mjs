#!/usr/bin/env node
// Builds .device/ at the repository root: everything `scripts/device-bench.sh` needs to run the WebGPU
// training bench on a GPU machine that has no Node.js and no network (the device tool carries the folder):
//   node.xz                        this machine's Node binary, xz-compressed
//   bench/webgpu.mjs               the bench and its dependencies in one ESM file (esbuild)
//   bench/torch_train_step.py      the PyTorch reference
//   node_modules/webgpu/           Dawn for Node: the package's JS, and dist/linux-x64/dawn.node.xz
//   debs/libvulkan1_*.deb          the Vulkan loader Dawn opens (unpacked there with dpkg -x)
// Usage: node packages/backend/tools/build-device-bundle.mjs [out folder, default .device]
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, '..');
const repo = resolve(packageDir, '..', '..');
const out = resolve(repo, process.argv[2] ?? '.device');
const require = createRequire(join(packageDir, 'package.json'));

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'bench'), { recursive: true });

const { build } = require('esbuild');
await build({
  entryPoints: [join(packageDir, 'bench', 'webgpu-main.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: join(out, 'bench', 'webgpu.mjs'),
  // dawn.node is loaded by path from the webgpu package, which travels as files.
  external: ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  // tfjs' node bundles use require(); an ESM bundle needs a require of its own.
  banner: {
    js: "import { createRequire as __botCreateRequire } from 'node:module'; const require = __botCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
copyFileSync(join(packageDir, 'bench', 'torch_train_step.py'), join(out, 'bench', 'torch_train_step.py'));

const webgpuDir = dirname(require.resolve('webgpu/package.json'));
const webgpuOut = join(out, 'node_modules', 'webgpu');
mkdirSync(join(webgpuOut, 'dist', 'linux-x64'), { recursive: true });
for (const file of ['index.js', 'package.json']) copyFileSync(join(webgpuDir, file), join(webgpuOut, file));
const xz = (from, to) =>
  writeFileSync(to, execFileSync('xz', ['-T0', '-9', '-c', from], { maxBuffer: 2 ** 30 }));
xz(join(webgpuDir, 'dist', 'linux-x64', 'dawn.node'), join(webgpuOut, 'dist', 'linux-x64', 'dawn.node.xz'));
xz(process.execPath, join(out, 'node.xz'));

// The Vulkan loader, for amd64 whatever this machine is (the device README's recipe).
mkdirSync(join(out, 'debs'), { recursive: true });
const lists = '/tmp/bot-device-apt-lists';
mkdirSync(join(lists, 'partial'), { recursive: true });
const apt = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
execFileSync('apt-get', [...apt, 'update', '-qq'], { stdio: 'inherit' });
execFileSync('apt-get', [...apt, 'download', '-qq', 'libvulkan1'], {
  cwd: join(out, 'debs'),
  stdio: 'inherit',
});

let total = 0;
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) walk(path);
    else {
      total += stat.size;
      console.log(`${(stat.size / 2 ** 20).toFixed(1).padStart(6)} MiB  ${path.slice(repo.length + 1)}`);
    }
  }
};
walk(out);
console.log(`${(total / 2 ** 20).toFixed(1)} MiB in ${out} (the device tool carries at most 64 MiB)`);
