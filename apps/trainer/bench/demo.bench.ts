/**
 * The embedded demo, measured. `npm run bench -w @bot/trainer` runs the whole `demo` preset (as `npm start`
 * does) and records wall time and test accuracy against the budget (10 minutes, 91% top-1);
 * `-- --quick` instead times 16 training steps of the demo run (data, mixup and steps, on the backend
 * `auto` picks) with 1 and with 2 data-parallel replicas, median of 3 runs each. Results go to bench-results/demo.json and demo-quick.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../src/resolve.js';
import { train } from '../src/train.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Training images/s of the demo run itself (data, mixup, steps) over `steps` steps, with `replicas`. */
async function demoImagesPerSecond(replicas: number, steps: number): Promise<number> {
  const demo = resolveConfig({});
  const config = resolveConfig({
    replicas,
    epochs: 1,
    warmupEpochs: 0,
    mixupOffEpochs: 0,
    trainLimit: steps * demo.batchSize,
    valLimit: 256,
    export: false,
    runsDir: join(tmpdir(), 'bot-trainer-bench'),
    runName: `quick-r${replicas}-${Date.now()}`,
  });
  const result = await train(config, { tty: false, write: () => undefined });
  result.model.dispose();
  return result.epochs[0]!.imagesPerSecond;
}

async function quick(): Promise<Record<string, unknown>> {
  const demo = resolveConfig({});
  // Enough steps that the first (XNNPACK operators built, heaps grown) does not dominate.
  const steps = 16;
  const rows: { replicas: number; imagesPerSecond: number[]; median: number }[] = [];
  for (const replicas of [1, 2]) {
    const runs: number[] = [];
    for (let run = 0; run < 3; run++) {
      runs.push(await demoImagesPerSecond(replicas, steps));
      console.log(`replicas ${replicas}, run ${run + 1}: ${runs.at(-1)!.toFixed(1)} img/s`);
    }
    rows.push({ replicas, imagesPerSecond: runs, median: median(runs) });
  }
  const demoImages = 60_000 * demo.epochs;
  console.log(
    `| replicas | training images/s (median of 3 runs of ${steps} steps) | vs 1 | demo training time at that rate |`,
  );
  console.log('|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.replicas} | ${r.median.toFixed(1)} | ${(r.median / rows[0]!.median).toFixed(2)}x | ${(demoImages / r.median / 60).toFixed(1)} min |`,
    );
  }
  return { mode: 'quick', batch: demo.batchSize, steps, rows };
}

async function full(): Promise<Record<string, unknown>> {
  const config = resolveConfig({
    runsDir: join(tmpdir(), 'bot-trainer-bench'),
    runName: `demo-${Date.now()}`,
  });
  const start = performance.now();
  const result = await train(config, { tty: false });
  const seconds = (performance.now() - start) / 1000;
  const summary = {
    mode: 'full',
    preset: config.preset,
    backend: result.backend.name,
    wallSeconds: seconds,
    top1: result.final?.top1,
    top5: result.final?.top5,
    epochs: result.epochs.map((e) => ({
      epoch: e.epoch,
      top1: e.top1,
      seconds: e.seconds,
      imagesPerSecond: e.imagesPerSecond,
    })),
    report: result.report,
  };
  console.log('| preset | backend | wall time | top-1 | top-5 |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| demo | ${summary.backend} | ${(seconds / 60).toFixed(1)} min | ${(100 * (summary.top1 ?? Number.NaN)).toFixed(2)}% | ${(100 * (summary.top5 ?? Number.NaN)).toFixed(2)}% |`,
  );
  console.log(
    `budget: 10 min and 91% top-1: ${seconds <= 600 && (summary.top1 ?? 0) >= 0.91 ? 'met' : 'NOT met'}`,
  );
  return summary;
}

const result = process.argv.includes('--quick') ? await quick() : await full();
mkdirSync('bench-results', { recursive: true });
writeFileSync(
  join('bench-results', process.argv.includes('--quick') ? 'demo-quick.json' : 'demo.json'),
  `${JSON.stringify({ ...result, date: new Date().toISOString(), node: process.version }, null, 2)}\n`,
);
