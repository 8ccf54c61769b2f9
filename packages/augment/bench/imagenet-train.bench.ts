/**
 * Images/s of imagenetTrain() on generated ImageNet-sized JPEGs (500x375, quality 90), against the same
 * pipeline in torchvision + PIL with a 2-worker DataLoader, measured in the same run.
 *
 *   npm run bench -w @bot/augment   (env BENCH_IMAGES, BENCH_PASSES)
 */
process.env.UV_THREADPOOL_SIZE ??= '2';

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = join(here, '..', '..', '..');
const IMAGES = Number(process.env.BENCH_IMAGES ?? 128);
const PASSES = Number(process.env.BENCH_PASSES ?? 5);

async function makeImages(dir: string, n: number): Promise<string[]> {
  const { default: sharp } = await import('sharp');
  const { Rng } = await import('@bot/rng');
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  const rng = Rng.from('augment-bench');
  for (let i = 0; i < n; i++) {
    const p = join(dir, `img-${String(i).padStart(4, '0')}.jpg`);
    paths.push(p);
    if (existsSync(p)) continue;
    const w = 500;
    const h = 375;
    const px = new Uint8Array(w * h * 3);
    const [fx, fy, ph] = [rng.uniformRange(2, 30), rng.uniformRange(2, 30), rng.uniformRange(0, 6.28)];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        const noise = rng.nextUint32() & 63;
        px[o] = 100 + 80 * Math.sin(x / fx + ph) + noise;
        px[o + 1] = 100 + 80 * Math.cos(y / fy) + noise;
        px[o + 2] = ((x + y + i * 7) & 255) / 2 + noise;
      }
    }
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(p);
  }
  return paths;
}

interface ModeResult {
  mode: string;
  imagesPerSecond: number[];
  median: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Runs one pass of `paths` through `workers` worker threads, each with `inFlight` images in flight. */
async function runWorkers(paths: string[], workers: number, inFlight: number, resampler: string): Promise<number[]> {
  const script = join(here, 'worker.js');
  const pool = Array.from(
    { length: workers },
    () => new Worker(script, { workerData: { inFlight, resampler }, env: process.env }),
  );
  const call = (w: Worker, msg: unknown) =>
    new Promise<number>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
      w.postMessage(msg);
    });
  const rates: number[] = [];
  try {
    for (let pass = -1; pass < PASSES; pass++) {
      const t0 = performance.now();
      await Promise.all(pool.map((w, k) => call(w, { paths: paths.filter((_, i) => i % workers === k), pass })));
      if (pass >= 0) rates.push(paths.length / ((performance.now() - t0) / 1000));
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return rates;
}

function runTorchvision(dir: string): ModeResult | { mode: string; skipped: string } {
  const py = '/usr/bin/python3';
  const mode = 'torchvision + PIL, DataLoader 2 workers';
  if (!existsSync(py)) return { mode, skipped: `${py} not found` };
  const r = spawnSync(py, [join(pkgRoot, 'bench', 'torchvision_bench.py'), dir, String(PASSES)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0) return { mode, skipped: (r.stderr || String(r.error)).trim().split('\n').slice(-1)[0] ?? '' };
  const out = JSON.parse(r.stdout.trim().split('\n').slice(-1)[0] as string) as { imagesPerSecond: number[] };
  return { mode, imagesPerSecond: out.imagesPerSecond, median: median(out.imagesPerSecond) };
}

async function main() {
  const { default: sharp } = await import('sharp');
  sharp.concurrency(1);
  sharp.cache(false);
  const dir = join(tmpdir(), 'bot-augment-bench-500x375-q90');
  const paths = await makeImages(dir, IMAGES);
  console.log(`${paths.length} JPEGs 500x375 q90 in ${dir}; ${cpus().length} CPUs; ${PASSES} passes each`);
  const results: (ModeResult | { mode: string; skipped: string })[] = [];
  const configs: [string, number, number, string][] = [
    ['@bot/augment fast, 1 thread, 4 in flight', 1, 4, 'fast'],
    ['@bot/augment fast, 2 worker threads, 2 in flight each', 2, 2, 'fast'],
    ['@bot/augment pil, 2 worker threads, 2 in flight each', 2, 2, 'pil'],
  ];
  for (const [mode, workers, inFlight, resampler] of configs) {
    const rates = await runWorkers(paths, workers, inFlight, resampler);
    results.push({ mode, imagesPerSecond: rates, median: median(rates) });
    console.log(`  ${mode}: median ${median(rates).toFixed(1)} images/s`);
  }
  results.push(runTorchvision(dir));
  const ref = results.find((r) => r.mode.startsWith('torchvision') && 'median' in r) as ModeResult | undefined;
  console.log('');
  console.log('| pipeline | images/s (median) | runs | vs torchvision |');
  console.log('|---|---|---|---|');
  for (const r of results) {
    if ('skipped' in r) {
      console.log(`| ${r.mode} | skipped: ${r.skipped} | | |`);
      continue;
    }
    const ratio = ref ? `${(r.median / ref.median).toFixed(2)}x` : 'n/a';
    console.log(`| ${r.mode} | ${r.median.toFixed(1)} | ${r.imagesPerSecond.map((x) => x.toFixed(0)).join(', ')} | ${ratio} |`);
  }
  const outDir = join(pkgRoot, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'imagenet-train.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        images: paths.length,
        passes: PASSES,
        cpus: cpus().length,
        uvThreadpool: process.env.UV_THREADPOOL_SIZE,
        sharpConcurrency: sharp.concurrency(),
        results,
      },
      null,
      2,
    ),
  );
  console.log(`\nwrote ${file}; files in ${dir}: ${readdirSync(dir).length}`);
}

await main();
