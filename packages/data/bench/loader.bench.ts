/**
 * Loader throughput on ImageNet-sized synthetic JPEGs (375x500, quality 90): images/s of
 * `DataLoader(imageFolder(root, { size: 224 }))` at several concurrencies, against concurrency 1 in the same
 * run; and, when Debian's python3-torchvision is present, torchvision's ImageFolder + DataLoader with
 * 2 worker processes doing the same decode/resize/centre-crop (PIL) as the reference; and, when the
 * workspace's @bot/augment is built, the loader feeding its full `imagenetTrain()` pipeline.
 *
 * Usage: npm run bench -w @bot/data [-- --images 160 --repeats 5]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DataLoader,
  type Dataset,
  imageFolder,
  type Transform,
  workerDataset,
  writeSyntheticImageFolder,
} from '@bot/data';
import sharp from 'sharp';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '160' },
    repeats: { type: 'string', default: '5' },
    batch: { type: 'string', default: '32' },
  },
});
const images = Number(values.images);
const repeats = Number(values.repeats);
const batchSize = Number(values.batch);
const classes = 8;
const perClass = Math.ceil(images / classes);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Images/s of one epoch, and the main thread's event-loop utilisation (1 = the JS thread is the bottleneck). */
async function measure(
  root: string,
  concurrency: number,
  epoch: number,
  transform?: Transform,
): Promise<{ rate: number; elu: number }> {
  return measureDataset(imageFolder(root, transform ? { transform } : { size: 224 }), concurrency, epoch);
}

async function measureDataset(
  dataset: Dataset,
  concurrency: number,
  epoch: number,
): Promise<{ rate: number; elu: number }> {
  const loader = new DataLoader(dataset, { batchSize, seed: 1, concurrency, prefetch: 2 });
  const elu = performance.eventLoopUtilization();
  const start = performance.now();
  let n = 0;
  for await (const batch of loader.epoch(epoch)) n += batch.shape[0];
  const rate = n / ((performance.now() - start) / 1000);
  return { rate, elu: performance.eventLoopUtilization(elu).utilization };
}

/** `@bot/augment`'s `imagenetTrain()`, when that workspace package is built (it is not a dependency). */
async function augmentPipeline(): Promise<Transform | null> {
  const name = '@bot/augment';
  try {
    const augment = await import(name);
    return augment.imagenetTrain() as Transform;
  } catch {
    return null;
  }
}

const TORCH = 'torchvision ImageFolder, 2 workers (PIL)';
const torchScript = `
import sys, time
import torch, torchvision
from torchvision import transforms
torch.set_num_threads(1)
root, batch = sys.argv[1], int(sys.argv[2])
tf = transforms.Compose([transforms.Resize(224), transforms.CenterCrop(224), transforms.PILToTensor(),
                         transforms.ConvertImageDtype(torch.float32)])
ds = torchvision.datasets.ImageFolder(root, transform=tf)
dl = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, num_workers=2, prefetch_factor=2)
for x, y in dl: pass  # warm-up epoch: worker start-up, page cache
t = time.perf_counter(); n = 0
for x, y in dl: n += x.shape[0]
print(n / (time.perf_counter() - t))
`;

function torchvisionImagesPerSecond(root: string): number | null {
  const run = spawnSync('/usr/bin/python3', ['-c', torchScript, root, String(batchSize)], {
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    console.warn(`torchvision reference failed: ${run.stderr.trim().split('\n').pop()}`);
    return null;
  }
  return Number(run.stdout.trim());
}

const root = join(tmpdir(), `bot-data-bench-${images}`);
const t0 = performance.now();
await writeSyntheticImageFolder(root, { classes, perClass, size: [375, 500], seed: 1, quality: 90 });
console.log(
  `wrote ${classes * perClass} JPEGs 500x375 q90 to ${root} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

const concurrencies = [1, 2, 4, 8];
const runs = new Map<string, number[]>();
const elus = new Map<string, number[]>();
const record = (name: string, value: number, elu?: number) => {
  runs.set(name, [...(runs.get(name) ?? []), value]);
  if (elu !== undefined) elus.set(name, [...(elus.get(name) ?? []), elu]);
};
await measure(root, 4, 99); // warm-up: page cache, sharp's first use
const train = await augmentPipeline();
if (!train) console.log('@bot/augment is not built: its rows are left out');
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torchvision']).status === 0;
// Repeats interleave the configurations, so a change in the load of a shared machine hits them alike.
for (let r = 0; r < repeats; r++) {
  for (const concurrency of concurrencies) {
    const { rate, elu } = await measure(root, concurrency, r);
    record(`@bot/data concurrency ${concurrency}`, rate, elu);
  }
  if (train) {
    for (const concurrency of [1, 4]) {
      const { rate, elu } = await measure(root, concurrency, r, train);
      record(`+ @bot/augment imagenetTrain(), concurrency ${concurrency}`, rate, elu);
    }
    const workers = await workerDataset(join(process.cwd(), 'bench', 'train-dataset.mjs'), {
      workers: 2,
      args: { root },
    });
    const { rate, elu } = await measureDataset(workers, 8, r);
    record('+ @bot/augment imagenetTrain(), 2 worker threads, concurrency 8', rate, elu);
    await workers.close();
  }
  const torch = hasTorch ? torchvisionImagesPerSecond(root) : null;
  if (torch !== null) record(TORCH, torch);
}
const rows = [...runs].map(([name, values]) => ({
  name,
  imagesPerSecond: median(values),
  runs: values,
  mainThreadUtilisation: elus.has(name) ? median(elus.get(name)!) : null,
}));
const torch = rows.find((row) => row.name === TORCH)?.imagesPerSecond ?? null;

const reference = rows[0]!.imagesPerSecond;
console.log(`\nimages/s, median of ${repeats} epochs of ${classes * perClass} images, batch ${batchSize}`);
console.log('decode 500x375 JPEG -> resize shorter side to 224 + centre crop -> float32 HWC batch');
console.log(
  `| loader | images/s | vs concurrency 1 | main thread busy |${torch !== null ? ' vs torchvision |' : ''}`,
);
console.log(`|---|---:|---:|---:|${torch !== null ? '---:|' : ''}`);
for (const row of rows) {
  const vsTorch = torch !== null ? ` ${(row.imagesPerSecond / torch).toFixed(2)}x |` : '';
  const busy = row.mainThreadUtilisation === null ? '-' : `${(100 * row.mainThreadUtilisation).toFixed(0)}%`;
  console.log(
    `| ${row.name} | ${row.imagesPerSecond.toFixed(1)} | ${(row.imagesPerSecond / reference).toFixed(2)}x | ${busy} |${vsTorch}`,
  );
}

const resultDir = join(process.cwd(), 'bench-results');
mkdirSync(resultDir, { recursive: true });
const out = {
  bench: 'loader',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model,
  cores: availableParallelism(),
  uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
  sharpConcurrency: sharp.concurrency(),
  images: classes * perClass,
  batchSize,
  repeats,
  rows,
};
writeFileSync(join(resultDir, 'loader.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(`\nwrote ${join(resultDir, 'loader.json')}`);
