#!/usr/bin/env node
// Packaging proof: `npm pack` every publishable workspace, install the tarballs into a fresh project outside
// the repo (no workspace links), import each package and run the first ```ts block under its README's
// "## Example" heading. A package that only works inside the workspace fails here.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const TFJS_VERSION = '4.22.0';
const repo = resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
const only = process.argv.filter((a) => !a.startsWith('--')).slice(2);

function workspaces() {
  const found = [];
  for (const dir of ['packages', 'apps']) {
    for (const name of readdirSync(join(repo, dir)).sort()) {
      const file = join(repo, dir, name, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      if (manifest.private) continue;
      found.push({ dir: join(repo, dir, name), manifest });
    }
  }
  return found;
}

export function readmeExample(readme) {
  const section = readme.split(/^## Example\b.*$/m)[1];
  if (!section) return null;
  const match = section.match(/```ts\n([\s\S]*?)```/);
  return match ? match[1] : null;
}

const all = workspaces();
const targets = only.length > 0 ? all.filter((w) => only.includes(w.manifest.name)) : all;
const work = mkdtempSync(join(tmpdir(), 'bot-pack-check-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
mkdirSync(tarballs);
mkdirSync(project);
console.log(`pack-check in ${work}`);

execFileSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: repo, stdio: 'inherit' });

const files = [];
const failures = [];
for (const { dir, manifest } of all) {
  const isTarget = targets.some((t) => t.manifest.name === manifest.name);
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tarballs], {
    cwd: dir,
    encoding: 'utf8',
  });
  const [info] = JSON.parse(out);
  files.push(join(tarballs, info.filename));
  const shipped = info.files.map((f) => f.path);
  const missing = ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts'].filter(
    (f) => !shipped.includes(f),
  );
  if (missing.length > 0 && isTarget) failures.push(`${manifest.name}: tarball lacks ${missing.join(', ')}`);
  console.log(`packed ${info.filename} (${info.files.length} files, ${(info.size / 1024).toFixed(1)} KiB)`);
}

writeFileSync(
  join(project, 'package.json'),
  JSON.stringify({ name: 'pack-check', private: true, type: 'module' }),
);
// The tarballs reference each other by version; installing them in one command lets npm satisfy those from the
// tarballs instead of the registry, where they are not published.
execFileSync(
  'npm',
  ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files, `@tensorflow/tfjs@${TFJS_VERSION}`],
  { cwd: project, stdio: 'inherit' },
);

for (const { dir, manifest } of targets) {
  const name = manifest.name;
  const importCheck = spawnSync(
    'node',
    [
      '--input-type=module',
      '-e',
      `const m = await import('${name}'); if (Object.keys(m).length === 0) { console.error('no exports'); process.exit(1); }`,
    ],
    {
      cwd: project,
      encoding: 'utf8',
    },
  );
  if (importCheck.status !== 0) {
    failures.push(`${name}: import failed\n${importCheck.stderr}`);
    continue;
  }
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  const example = readmeExample(readme);
  if (!example) {
    failures.push(`${name}: README has no \`## Example\` section with a \`\`\`ts block`);
    continue;
  }
  const js = ts.transpileModule(example, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = join(project, `example-${name.replace(/[@/]/g, '_')}.mjs`);
  writeFileSync(file, js);
  const started = Date.now();
  const result = spawnSync('node', [file], { cwd: project, encoding: 'utf8', timeout: 180_000 });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    failures.push(
      `${name}: README example exited ${result.status} after ${seconds}s\n${result.stdout}\n${result.stderr}`,
    );
  } else {
    const lines = result.stdout.trim().split('\n');
    console.log(
      `ok ${name}: import + README example (${seconds}s); last line: ${lines.at(-1)?.slice(0, 100)}`,
    );
  }
}

if (!keep) rmSync(work, { recursive: true, force: true });
if (failures.length > 0) {
  console.error(`\npack-check failed:\n${failures.join('\n\n')}`);
  console.log(`pack-check: ${targets.length - failures.length} passed, ${failures.length} failed`);
  process.exit(1);
}
console.log(`pack-check: ${targets.length} passed, 0 failed`);
