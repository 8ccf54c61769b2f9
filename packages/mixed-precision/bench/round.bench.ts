/**
 * What the FP16 emulation costs, as ratios against references measured in the same run:
 * 1. rounding 4M floats to binary16 values: `roundToFloat16` (typed-array pass) and `roundTensorToFloat16` (cpu
 *    backend tensor) against one elementwise tfjs op on the same tensor (`tf.mul(x, 1)`), and, when Debian's
 *    python3-numpy is present, numpy's `x.astype(float16).astype(float32)`;
 * 2. a training step of a small convnet (16x16x3, conv 8, pool, conv 16, GAP, dense 10) on the cpu backend: `MixedPrecisionTrainer.step` and
 *    `DynamicLossScaler.minimize` against plain `optimizer.minimize`.
 *
 * Usage: npm run bench -w @bot/mixed-precision [-- --repeats 5 --elements 4194304 --batch 16]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import {
  DynamicLossScaler,
  MixedPrecisionTrainer,
  roundTensorToFloat16,
  roundToFloat16,
} from '../src/index.js';

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '5' },
    elements: { type: 'string', default: String(4 * 1024 * 1024) },
    batch: { type: 'string', default: '8' },
  },
});
const repeats = Number(values.repeats);
const elements = Number(values.elements);
const batch = Number(values.batch);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
/** Median ms of each function, run interleaved (A B C A B C ...) so a change in machine load hits all alike. */
function interleavedMedians(fns: (() => void)[]): number[] {
  for (const fn of fns) fn(); // warm-up
  const times: number[][] = fns.map(() => []);
  for (let r = 0; r < repeats; r++) {
    fns.forEach((fn, i) => {
      times[i]!.push(time(fn));
    });
  }
  return times.map(median);
}

await tf.setBackend('cpu');
const rows: { name: string; medianMs: number; perSecond: number; unit: string; vsReference: number }[] = [];

// 1. rounding throughput
const data = new Float32Array(elements).map((_, i) => Math.sin(i) * 10 ** ((i % 10) - 6));
const x = tf.tensor1d(data);
const out = new Float32Array(elements);
const add = (name: string, ms: number, reference: number, per: number, unit: string) =>
  rows.push({ name, medianMs: ms, perSecond: per / (ms / 1000), unit, vsReference: ms / reference });
const [mulMs, arrayMs, tensorMs] = interleavedMedians([
  () => tf.mul(x, 1).dispose(),
  () => roundToFloat16(data, out),
  () => roundTensorToFloat16(x).dispose(),
]) as [number, number, number];
add('tf.mul(x, 1) on cpu [reference]', mulMs, mulMs, elements, 'elements/s');
add('roundToFloat16 (typed array)', arrayMs, mulMs, elements, 'elements/s');
add('roundTensorToFloat16 (cpu tensor)', tensorMs, mulMs, elements, 'elements/s');
const py = spawnSync(
  '/usr/bin/python3',
  [
    '-c',
    `import numpy as np, time
x = (np.sin(np.arange(${elements})) * 10.0 ** ((np.arange(${elements}) % 10) - 6)).astype(np.float32)
ts = []
for _ in range(${repeats + 1}):
    t = time.perf_counter(); x.astype(np.float16).astype(np.float32); ts.append(time.perf_counter() - t)
print(sorted(ts[1:])[len(ts[1:]) // 2] * 1000)`,
  ],
  { encoding: 'utf8' },
);
if (py.status === 0)
  add('numpy astype(float16).astype(float32)', Number(py.stdout.trim()), mulMs, elements, 'elements/s');

// 2. training step of a small convnet, 16x16x3 input
function convnet(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [32, 32, 3],
        filters: 16,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: 1 }),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({
        filters: 32,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: 2 }),
      }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
}
const images = tf.randomNormal([batch, 16, 16, 3], 0, 1, 'float32', 4);
const labels = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 5), 10);
const lossOf = (model: tf.Sequential) => () =>
  tf.losses.softmaxCrossEntropy(labels, model.apply(images) as tf.Tensor) as tf.Scalar;

const varsOf = (model: tf.Sequential) => model.trainableWeights.map((w) => w.read() as tf.Variable);
const plain = convnet();
const plainOpt = tf.train.sgd(0.01);
const scaled = convnet();
const scaler = new DynamicLossScaler();
const scaledOpt = tf.train.sgd(0.01);
const mixed = convnet();
const trainer = new MixedPrecisionTrainer({ model: mixed, optimizer: tf.train.sgd(0.01) });
const [plainMs, scaledMs, mixedMs] = interleavedMedians([
  () => plainOpt.minimize(lossOf(plain), true, varsOf(plain))?.dispose(),
  () => scaler.minimize(scaledOpt, lossOf(scaled), varsOf(scaled)),
  () => trainer.step(lossOf(mixed)),
]) as [number, number, number];
add(`fp32 optimizer.minimize, batch ${batch} [reference]`, plainMs, plainMs, batch, 'images/s');
add('fp32 + DynamicLossScaler.minimize', scaledMs, plainMs, batch, 'images/s');
add('MixedPrecisionTrainer.step (emulated fp16)', mixedMs, plainMs, batch, 'images/s');

const cpu = cpus()[0]?.model ?? 'unknown cpu';
console.log(
  `@bot/mixed-precision bench: tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}, ${cpu}, median of ${repeats}`,
);
console.log('| case | median ms | throughput | time vs reference |');
console.log('|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.medianMs.toFixed(2)} | ${r.perSecond.toPrecision(3)} ${r.unit} | ${r.vsReference.toFixed(2)}x |`,
  );
}
mkdirSync('bench-results', { recursive: true });
writeFileSync(
  'bench-results/mixed-precision.json',
  JSON.stringify({ date: new Date().toISOString(), cpu, repeats, elements, batch, rows }, null, 2),
);
