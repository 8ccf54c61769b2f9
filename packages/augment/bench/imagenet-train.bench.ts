/**
 * Images/s of imagenetTrain() on generated ImageNet-sized JPEGs (500x375, quality 90), against the same
 * pipeline in torchvision + PIL with a 2-worker DataLoader, measured in the same run: the pixel work on the
 * WebAssembly SIMD kernels (the default) and on the JS fallback. Then, one image at a time on one thread, the
 * CPU time of each part: decode, geometry (sharp's crop and resize, the JS enlarging), pixel work.
 *
 *   npm run bench -w @bot/augment   (env BENCH_IMAGES, BENCH_PASSES)
 */
process.env.UV_THREADPOOL_SIZE ??= '2';

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = join(here, '..', '..', '..');
const IMAGES = Number(process.env.BENCH_IMAGES ?? 128);
const PASSES = Number(process.env.BENCH_PASSES ?? 7);
const LARGE_IMAGES = Number(process.env.BENCH_LARGE_IMAGES ?? 32);

async function makeImages(dir: string, n: number, w: number, h: number): Promise<string[]> {
  const { default: sharp } = await import('sharp');
  const { Rng } = await import('@bot/rng');
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  const rng = Rng.from('augment-bench');
  // Less noise on the large images, so that their JPEGs are photo-sized (about 600 KB at 1600x1200, q90).
  const noiseMask = w * h > 1e6 ? 15 : 63;
  for (let i = 0; i < n; i++) {
    const p = join(dir, `img-${String(i).padStart(4, '0')}.jpg`);
    paths.push(p);
    if (existsSync(p)) continue;
    const px = new Uint8Array(w * h * 3);
    const [fx, fy, ph] = [rng.uniformRange(2, 30), rng.uniformRange(2, 30), rng.uniformRange(0, 6.28)];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        const noise = rng.nextUint32() & noiseMask;
        px[o] = 100 + 80 * Math.sin(x / fx + ph) + noise;
        px[o + 1] = 100 + 80 * Math.cos(y / fy) + noise;
        px[o + 2] = ((x + y + i * 7) & 255) / 2 + noise;
      }
    }
    await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(p);
  }
  return paths;
}

interface ModeResult {
  mode: string;
  /** What the bench measured this mode with: its pixel path, for our pipelines. */
  pixelPath?: string;
  imagesPerSecond: number[];
  cpuMsPerImage: number[];
  median: number;
  medianCpuMs: number;
}

interface Runner {
  mode: string;
  pixelPath?: string;
  pass(): Promise<{ imagesPerSecond: number; cpuMsPerImage: number }>;
  close(): Promise<void>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** `workers` worker threads, each with `inFlight` images in flight, over `paths` split between them. */
async function workerRunner(
  mode: string,
  paths: string[],
  workers: number,
  inFlight: number,
  resampler: string,
  pixelPath: 'simd' | 'js',
): Promise<Runner> {
  const script = join(here, 'worker.js');
  const pool = Array.from(
    { length: workers },
    () => new Worker(script, { workerData: { inFlight, resampler, pixelPath } }),
  );
  const call = (w: Worker, msg: unknown) =>
    new Promise<Float32Array[]>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
      w.postMessage(msg);
    });
  let pass = 0;
  const run = async () => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const p = pass++;
    await Promise.all(
      pool.map((w, k) => call(w, { paths: paths.filter((_, i) => i % workers === k), pass: p })),
    );
    const c = process.cpuUsage(c0);
    return {
      imagesPerSecond: paths.length / ((performance.now() - t0) / 1000),
      cpuMsPerImage: (c.user + c.system) / 1000 / paths.length,
    };
  };
  await run(); // warm-up: JIT, thread start
  return {
    mode,
    pixelPath,
    pass: run,
    close: async () => {
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}

async function torchvisionRunner(dir: string): Promise<Runner | string> {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return `${py} not found`;
  const child = spawn(py, [join(pkgRoot, 'bench', 'torchvision_bench.py'), dir], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done || first.value !== 'ready') {
    child.kill();
    return `torchvision did not start: ${stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
  }
  return {
    mode: 'torchvision + PIL, DataLoader 2 workers',
    pass: async () => {
      child.stdin.write('pass\n');
      const line = await lines.next();
      if (line.done) throw new Error(`torchvision bench stopped: ${stderr}`);
      return JSON.parse(line.value) as { imagesPerSecond: number; cpuMsPerImage: number };
    },
    close: async () => {
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/**
 * The floor under any pipeline that decodes every image in full: CPU ms per image to decode the JPEGs
 * to RGB one at a time, with sharp (libvips) here and with PIL in /usr/bin/python3 when it has PIL.
 */
async function decodeFloor(paths: string[]): Promise<{ sharpMs: number; pilMs: number | string }> {
  const { default: sharp } = await import('sharp');
  const { readFileSync } = await import('node:fs');
  const buffers = paths.map((p) => readFileSync(p));
  const perPass: number[] = [];
  for (let pass = 0; pass < 5; pass++) {
    const c0 = process.cpuUsage();
    for (const b of buffers) await sharp(b).raw().toBuffer();
    const c = process.cpuUsage(c0);
    perPass.push((c.user + c.system) / 1000 / buffers.length);
  }
  const script = [
    'import io, resource, sys',
    'from PIL import Image',
    'bufs = [open(p, "rb").read() for p in sys.argv[1:]]',
    'def cpu():',
    '    r = resource.getrusage(resource.RUSAGE_SELF)',
    '    return (r.ru_utime + r.ru_stime) * 1000',
    'res = []',
    'for _ in range(5):',
    '    c0 = cpu()',
    '    for b in bufs: Image.open(io.BytesIO(b)).convert("RGB")',
    '    res.append((cpu() - c0) / len(bufs))',
    'print(sorted(res)[2])',
  ].join('\n');
  const { spawnSync } = await import('node:child_process');
  const py = spawnSync('/usr/bin/python3', ['-c', script, ...paths], { encoding: 'utf8' });
  const pilMs =
    py.status === 0
      ? Number(py.stdout.trim())
      : `PIL not available: ${(py.stderr || String(py.error)).trim().split('\n').pop()}`;
  return { sharpMs: median(perPass), pilMs };
}

async function runDataset(
  width: number,
  height: number,
  count: number,
): Promise<{
  dataset: string;
  loadAverage: { before: number[]; after: number[] };
  results: ModeResult[];
  skipped: { mode: string; skipped: string }[];
  decodeOnlyCpuMs: { sharpMs: number; pilMs: number | string };
  oneThreadCpuMs: PartCosts;
}> {
  const dataset = `${count} JPEGs ${width}x${height} q90`;
  const dir = join(tmpdir(), `bot-augment-bench-${width}x${height}-q90`);
  const paths = await makeImages(dir, count, width, height);
  console.log(`\n${dataset} in ${dir}; ${cpus().length} CPUs; ${PASSES} passes each`);
  const runners: Runner[] = [];
  const skipped: { mode: string; skipped: string }[] = [];
  const tv = await torchvisionRunner(dir);
  if (typeof tv === 'string') skipped.push({ mode: 'torchvision + PIL, DataLoader 2 workers', skipped: tv });
  else runners.push(tv);
  // Four images in flight per thread keep both cores busy (2 in flight left ~15% idle; measured 2026-11-30).
  runners.push(
    await workerRunner(
      '@bot/augment fast, SIMD, 2 worker threads x 4 in flight',
      paths,
      2,
      4,
      'fast',
      'simd',
    ),
    await workerRunner('@bot/augment fast, JS, 2 worker threads x 4 in flight', paths, 2, 4, 'fast', 'js'),
    await workerRunner('@bot/augment pil, SIMD, 2 worker threads x 4 in flight', paths, 2, 4, 'pil', 'simd'),
    await workerRunner(
      '@bot/augment fast, SIMD, 2 worker threads x 2 in flight',
      paths,
      2,
      2,
      'fast',
      'simd',
    ),
    await workerRunner('@bot/augment fast, SIMD, 1 thread x 4 in flight', paths, 1, 4, 'fast', 'simd'),
  );
  const loadBefore = loadavg();
  // Round-robin passes, so that load from other processes on a shared machine hits every pipeline alike.
  const samples = runners.map(() => ({ ips: [] as number[], cpu: [] as number[] }));
  for (let pass = 0; pass < PASSES; pass++) {
    for (const [k, r] of runners.entries()) {
      const s = await r.pass();
      samples[k]?.ips.push(s.imagesPerSecond);
      samples[k]?.cpu.push(s.cpuMsPerImage);
    }
    process.stdout.write(`pass ${pass + 1}/${PASSES}\r`);
  }
  for (const r of runners) await r.close();
  const loadAfter = loadavg();
  const results: ModeResult[] = runners.map((r, k) => {
    const s = samples[k] as { ips: number[]; cpu: number[] };
    return {
      mode: r.mode,
      ...(r.pixelPath ? { pixelPath: r.pixelPath } : {}),
      imagesPerSecond: s.ips,
      cpuMsPerImage: s.cpu,
      median: median(s.ips),
      medianCpuMs: median(s.cpu),
    };
  });
  const ref = results.find((r) => r.mode.startsWith('torchvision'));
  console.log('');
  console.log(
    `load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} before the passes, ${loadAfter.map((x) => x.toFixed(2)).join(' ')} after (1, 5, 15 min)`,
  );
  console.log(
    '| pipeline | images/s (median) | per pass | vs torchvision | CPU ms/image (median) | images per CPU s | torchvision CPU / this |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    const ratio = ref ? `${(r.median / ref.median).toFixed(2)}x` : 'n/a';
    const cpuRatio = ref ? `${(ref.medianCpuMs / r.medianCpuMs).toFixed(2)}x` : 'n/a';
    console.log(
      `| ${r.mode} | ${r.median.toFixed(1)} | ${r.imagesPerSecond.map((x) => x.toFixed(0)).join(', ')} | ${ratio} | ${r.medianCpuMs.toFixed(2)} | ${(1000 / r.medianCpuMs).toFixed(0)} | ${cpuRatio} |`,
    );
  }
  for (const s of skipped) console.log(`| ${s.mode} | skipped: ${s.skipped} | | | | | |`);
  const floor = await decodeFloor(paths);
  const pil = typeof floor.pilMs === 'number' ? `${floor.pilMs.toFixed(2)} ms` : floor.pilMs;
  console.log(
    `\ndecode only, one image at a time, CPU ms/image: sharp ${floor.sharpMs.toFixed(2)} ms, PIL ${pil}`,
  );
  const parts = await partCosts(paths);
  const { geometry: g, whole: w } = parts;
  console.log(
    `one image at a time on one thread, CPU ms/image (medians of ${PART_PASSES}), SIMD / JS: decode + crop + resize + flip + conversion to float ${g.simd.toFixed(2)} / ${g.js.toFixed(2)}; colour jitter + lighting + Normalize on top ${(w.simd - g.simd).toFixed(2)} / ${(w.js - g.js).toFixed(2)}; whole pipeline ${w.simd.toFixed(2)} / ${w.js.toFixed(2)}`,
  );
  if (ref) {
    console.log(
      `2x torchvision's CPU time would leave ${(ref.medianCpuMs / 2).toFixed(2)} ms per image for the whole pipeline`,
    );
  }
  return {
    dataset,
    loadAverage: { before: loadBefore, after: loadAfter },
    results,
    skipped,
    decodeOnlyCpuMs: floor,
    oneThreadCpuMs: parts,
  };
}

const PART_PASSES = 5;

interface PartCosts {
  /** Decode, crop, resize, flip and the conversion to float (through an identity Normalize). */
  geometry: { simd: number; js: number };
  /** The whole imagenetTrain(). */
  whole: { simd: number; js: number };
}

/**
 * CPU ms per image, one image at a time on one thread (libvips' thread included), on either pixel path: the
 * whole imagenetTrain(), and its geometry alone (RandomResizedCrop + flip, then an identity Normalize so that
 * the conversion to float runs where the pixel work would run it), with the same crops and flips. Medians
 * of PART_PASSES passes, interleaved.
 */
async function partCosts(paths: string[]): Promise<PartCosts> {
  const { compose, imagenetTrain, Normalize, RandomHorizontalFlip, RandomResizedCrop, usePixelPath } =
    await import('../src/index.js');
  const { Rng } = await import('@bot/rng');
  const pipelines = {
    geometry: compose([
      new RandomResizedCrop(224),
      new RandomHorizontalFlip(),
      new Normalize({ mean: [0, 0, 0], std: [1, 1, 1] }),
    ]),
    whole: imagenetTrain(),
  };
  const times = {
    geometry: { simd: [] as number[], js: [] as number[] },
    whole: { simd: [] as number[], js: [] as number[] },
  };
  for (let pass = -1; pass < PART_PASSES; pass++) {
    for (const part of ['geometry', 'whole'] as const) {
      for (const path of ['simd', 'js'] as const) {
        usePixelPath(path);
        const c0 = process.cpuUsage();
        for (const [i, p] of paths.entries()) await pipelines[part].apply(p, Rng.derive(1, pass, i));
        const c = process.cpuUsage(c0);
        if (pass >= 0) times[part][path].push((c.user + c.system) / 1000 / paths.length);
      }
    }
  }
  usePixelPath('simd');
  const med = (t: { simd: number[]; js: number[] }) => ({ simd: median(t.simd), js: median(t.js) });
  return { geometry: med(times.geometry), whole: med(times.whole) };
}

async function main() {
  const { default: sharp } = await import('sharp');
  sharp.concurrency(1);
  sharp.cache(false);
  // ImageNet-sized images, and larger photos where JPEG shrink-on-load applies to big crops.
  const datasets = IMAGES > 0 ? [await runDataset(500, 375, IMAGES)] : [];
  if (LARGE_IMAGES > 0) datasets.push(await runDataset(1600, 1200, LARGE_IMAGES));
  const outDir = join(pkgRoot, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'imagenet-train.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        passes: PASSES,
        cpus: cpus().length,
        uvThreadpool: process.env.UV_THREADPOOL_SIZE,
        sharpConcurrency: sharp.concurrency(),
        datasets,
      },
      null,
      2,
    ),
  );
  console.log(`\nwrote ${file}`);
}

await main();
