/**
 * The embedded demo, measured. `npm run bench -w @bot/trainer` runs the whole `demo` preset (as `npm start`
 * does) and records wall time and test accuracy against the budget (10 minutes, 91% top-1);
 * `-- --quick` instead times training steps of the demo's model on the wasm backend (with @bot/backend's
 * kernels), median of 3 runs. Results go to bench-results/demo.json and demo-quick.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '@bot/backend';
import { crossEntropy } from '@bot/losses';
import { NesterovSGD } from '@bot/optim';
import { resnet } from '@bot/resnet-variants';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../src/resolve.js';
import { train } from '../src/train.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function imagesPerSecond(backend: 'wasm' | 'cpu', steps: number, batch: number): Promise<number> {
  await selectBackend({ prefer: backend });
  const demo = resolveConfig({});
  const model = resnet({
    depth: demo.depth,
    variant: demo.variant,
    numClasses: 10,
    inputSize: 28,
    inputChannels: 1,
    stem: demo.stem,
    width: demo.width,
    zeroGamma: true,
    init: demo.init,
    seed: 1,
  });
  const optimizer = new NesterovSGD({ learningRate: 0.1, weightDecay: 5e-5 });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.randomNormal([batch, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.tensor2d(
    Float32Array.from({ length: batch * 10 }, (_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0)),
    [batch, 10],
  );
  const step = () => {
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(model.apply(x, { training: true }) as tf.Tensor2D, y, { labelSmoothing: 0.1 }),
      variables,
    );
    optimizer.applyGradients(grads);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  step(); // warm-up: kernel compilation, buffer allocation
  const start = performance.now();
  for (let i = 0; i < steps; i++) step();
  const seconds = (performance.now() - start) / 1000;
  tf.dispose([x, y]);
  model.dispose();
  optimizer.dispose();
  return (steps * batch) / seconds;
}

async function quick(): Promise<Record<string, unknown>> {
  const batch = resolveConfig({}).batchSize;
  const wasm: number[] = [];
  for (let run = 0; run < 3; run++) {
    wasm.push(await imagesPerSecond('wasm', 5, batch));
    console.log(`run ${run + 1}: ${wasm.at(-1)!.toFixed(1)} img/s`);
  }
  const demoImages = 60_000 * resolveConfig({}).epochs;
  const result = { mode: 'quick', batch, imagesPerSecond: wasm, median: median(wasm) };
  console.log('| backend | training images/s (median of 3) | demo training time at that rate |');
  console.log('|---|---|---|');
  console.log(
    `| wasm + @bot/backend kernels | ${result.median.toFixed(1)} | ${(demoImages / result.median / 60).toFixed(1)} min |`,
  );
  return result;
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
