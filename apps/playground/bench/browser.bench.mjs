#!/usr/bin/env node
// Benchmark, not a test: the built playground in headless Chromium on each backend. Prints and writes to
// bench-results/browser.json: the bundle size, training images/s per backend (the demo's ResNet-18-D at
// width 0.125, batch 16; SwiftShader's WebGL and WebGPU are CPU emulation on a machine without a GPU), the
// in-browser wasm backend as the reference of the same run, and images/s of the paper's train transforms on
// tensors per backend. Also saves a screenshot of the WebGL run (bench-results/playground.png).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { findChromium, launchChromium } from '../scripts/chromium.mjs';
import { serveStatic } from '../scripts/serve.mjs';

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const OUT = join(ROOT, 'bench-results');
mkdirSync(OUT, { recursive: true });

const chromium = findChromium();
if (!chromium.path) {
  console.error(`no browser bench: ${chromium.why}`);
  process.exit(1);
}
if (!existsSync(join(DIST, 'index.html')))
  execFileSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: 'inherit' });

// Bundle size: the JS the page loads up front, all JS chunks (backends load on demand), the wasm binaries.
const assets = readdirSync(join(DIST, 'assets')).map((f) => {
  const bytes = readFileSync(join(DIST, 'assets', f));
  return { f, size: bytes.length, gzip: gzipSync(bytes).length };
});
const html = readFileSync(join(DIST, 'index.html'), 'utf8');
const entry = assets.filter((a) => a.f.endsWith('.js') && html.includes(a.f));
const sum = (xs, k) => xs.reduce((n, x) => n + x[k], 0);
const js = assets.filter((a) => a.f.endsWith('.js'));
const wasm = assets.filter((a) => a.f.endsWith('.wasm'));
const bundle = {
  entryJs: { bytes: sum(entry, 'size'), gzip: sum(entry, 'gzip') },
  allJs: { bytes: sum(js, 'size'), gzip: sum(js, 'gzip'), chunks: js.length },
  wasm: { bytes: sum(wasm, 'size'), gzip: sum(wasm, 'gzip'), files: wasm.length },
};

const BACKENDS = [
  { name: 'webgl', webgpu: false, steps: 30, note: 'SwiftShader WebGL2: CPU emulation' },
  { name: 'webgpu', webgpu: true, steps: 8, note: 'SwiftShader Vulkan WebGPU: CPU emulation' },
  { name: 'wasm', webgpu: false, steps: 12, note: 'XNNPACK + @bot/backend kernels, one thread (reference)' },
  { name: 'cpu', webgpu: false, steps: 4, note: 'plain JavaScript' },
];
const WARMUP_STEPS = 2;
const BATCH = 16;

const server = await serveStatic(DIST);
const results = [];
for (const b of BACKENDS) {
  const { context, close } = await launchChromium({ executablePath: chromium.path, webgpu: b.webgpu });
  try {
    const page = await context.newPage();
    const query = new URLSearchParams({
      backend: b.name,
      batchSize: String(BATCH),
      trainPerClass: '200',
      testPerClass: '20',
      epochs: '1',
      maxSteps: String(b.steps),
    });
    await page.goto(`${server.url}?${query}`);
    await page.waitForFunction(() => window.playground?.ready, null, { timeout: 180_000 });
    const t0 = Date.now();
    // a click from inside the page: the cpu backend's first step blocks the tab longer than a click waits
    await page.evaluate(() => document.getElementById('train').click());
    await page.waitForFunction(
      () => {
        const s = window.playground.session();
        return document.getElementById('error').textContent || (s?.done && !s.running);
      },
      null,
      { timeout: 1_800_000, polling: 1000 },
    );
    const error = await page.textContent('#error');
    if (error) throw new Error(`${b.name}: ${error}`);
    const s = await page.evaluate(() => window.playground.session());
    const steady = s.stepSeconds.slice(WARMUP_STEPS).sort((x, y) => x - y);
    const median = steady[Math.floor(steady.length / 2)];
    const augment = await page.evaluate(() => window.playground.benchAugment(4, 375, 500, 2));
    const row = {
      backend: b.name,
      note: b.note,
      steps: s.step,
      firstStepSeconds: s.stepSeconds[0],
      medianStepSeconds: median,
      trainImagesPerSecond: BATCH / median,
      augmentImagesPerSecond: augment,
      wallSeconds: (Date.now() - t0) / 1000,
    };
    results.push(row);
    console.log(JSON.stringify(row));
    if (b.name === 'webgl') await page.screenshot({ path: join(OUT, 'playground.png'), fullPage: true });
  } finally {
    await close();
  }
}
await server.close();

const ref = results.find((r) => r.backend === 'wasm');
const date = new Date().toISOString();
const cpuModel = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU';
const lines = [
  `playground bench, ${date}, ${cpuModel}, Chromium ${execFileSync(chromium.path, ['--version']).toString().trim()}`,
  `bundle: entry JS ${(bundle.entryJs.bytes / 1024).toFixed(0)} KiB (${(bundle.entryJs.gzip / 1024).toFixed(0)} KiB gzip); all JS ${(bundle.allJs.bytes / 1024).toFixed(0)} KiB in ${bundle.allJs.chunks} chunks (${(bundle.allJs.gzip / 1024).toFixed(0)} KiB gzip); wasm ${(bundle.wasm.bytes / 1024).toFixed(0)} KiB in ${bundle.wasm.files} files`,
  '',
  `| backend | training images/s (ResNet-18-D w0.125, 28x28, batch ${BATCH}) | vs wasm | first step s | train transforms on tensors, images/s (500x375 -> 224) | vs wasm | note |`,
  '|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.backend} | ${r.trainImagesPerSecond.toFixed(2)} | ${(r.trainImagesPerSecond / ref.trainImagesPerSecond).toFixed(2)}x | ${r.firstStepSeconds.toFixed(1)} | ${r.augmentImagesPerSecond.toFixed(1)} | ${(r.augmentImagesPerSecond / ref.augmentImagesPerSecond).toFixed(2)}x | ${r.note} |`,
  ),
];
console.log(lines.join('\n'));
writeFileSync(
  join(OUT, 'browser.json'),
  JSON.stringify({ date, cpuModel, bundle, batch: BATCH, results }, null, 2),
);
console.log(
  `wrote ${join(OUT, 'browser.json')} and ${join(OUT, 'playground.png')} (${statSync(join(OUT, 'playground.png')).size} bytes)`,
);
