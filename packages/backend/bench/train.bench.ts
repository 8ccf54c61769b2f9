import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {
  KernelScope,
  registerWasmTrainingKernels,
  selectBackend,
  unregisterWasmTrainingKernels,
} from '../src/index.js';
import { resnet50d } from './resnet50d.js';
import { makeTrainStep, randomBatch } from './train-step.js';

const env = process.env;
const batch = Number(env.BENCH_BATCH ?? 8);
const size = Number(env.BENCH_SIZE ?? 224);
const steps = Number(env.BENCH_STEPS ?? 3);
const numClasses = 1000;
const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..', '..', '..');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function timeMs(body: () => tf.Tensor | tf.Tensor[], reps: number): number {
  tf.dispose(body());
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    const out = body();
    for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
    times.push(performance.now() - start);
    tf.dispose(out);
  }
  return median(times);
}

function matmulPeakGflops(): number {
  const n = 1024;
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const ms = timeMs(() => tf.matMul(a, b), 5);
  tf.dispose([a, b]);
  return (2 * n ** 3) / ms / 1e6;
}

/** The representative layer: ResNet-50's layer1 3x3 conv, 56x56, 64 -> 64 channels. */
function layerGradient(n: number) {
  const x = tf.randomNormal([n, 56, 56, 64]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 64, 64], 0, 0.05) as tf.Tensor4D;
  const dy = tf.randomNormal([n, 56, 56, 64]) as tf.Tensor4D;
  const grads = tf.grads((xi: tf.Tensor, wi: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same'), dy)),
  );
  const flops = 3 * 2 * n * 56 * 56 * 64 * 64 * 9;
  return { run: () => grads([x, w]), flops, dispose: () => tf.dispose([x, w, dy]) };
}

function stockWasmStatus(): string {
  unregisterWasmTrainingKernels();
  try {
    const x = tf.ones([1, 8, 8, 3]) as tf.Tensor4D;
    const g = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(x, w as tf.Tensor4D, 1, 'same')));
    tf.dispose(g(tf.ones([3, 3, 3, 4])));
    tf.dispose(x);
    return 'runs';
  } catch (error) {
    return `cannot train a convnet: ${(error as Error).message}`;
  } finally {
    registerWasmTrainingKernels();
  }
}

function pytorchReference(): { imagesPerSecond: number; detail: unknown } | { skipped: string } {
  if (env.BENCH_TORCH === '0') return { skipped: 'BENCH_TORCH=0' };
  if (!existsSync('/usr/bin/python3')) return { skipped: 'no /usr/bin/python3' };
  const script = join(packageDir, 'bench', 'torch_train_step.py');
  const result = spawnSync('/usr/bin/python3', [script, String(batch), String(size), '2', String(steps)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (result.status !== 0) return { skipped: `python3 failed: ${(result.stderr ?? '').trim().split('\n').pop()}` };
  const detail = JSON.parse(result.stdout.trim().split('\n').pop() as string) as { median_s: number };
  return { imagesPerSecond: batch / detail.median_s, detail };
}

async function main() {
  const choice = await selectBackend({ log: (m) => console.log(m) });
  const results: Record<string, unknown> = { date: new Date().toISOString(), backend: choice, batch, size, steps };

  await tf.setBackend('wasm');
  const peak = matmulPeakGflops();
  results.wasmMatmulPeakGflops = peak;
  console.log(`wasm matmul peak (1024^3, one core): ${peak.toFixed(1)} GFLOP/s`);

  const layer = layerGradient(2);
  const layerWasmMs = timeMs(layer.run, 3);
  unregisterWasmTrainingKernels();
  let stockLayer: string;
  try {
    stockLayer = `${((layer.flops / timeMs(layer.run, 1)) * 1e-6).toFixed(2)} GFLOP/s`;
  } catch (error) {
    stockLayer = `cannot run: ${(error as Error).message}`;
  }
  registerWasmTrainingKernels();
  layer.dispose();
  results.stockWasm = stockWasmStatus();
  results.layer = { wasmGflops: layer.flops / layerWasmMs / 1e6, stockWasm: stockLayer };
  console.log(`stock wasm: ${results.stockWasm}`);

  await tf.setBackend('cpu');
  const cpuLayer = layerGradient(1);
  const cpuGflops = cpuLayer.flops / timeMs(cpuLayer.run, 1) / 1e6;
  cpuLayer.dispose();
  results.cpuLayerGflops = cpuGflops;
  await tf.setBackend(choice.name === 'wasm' ? 'wasm' : choice.name === 'cpu' ? 'cpu' : 'tensorflow');

  const { model, convs } = resnet50d(size, numClasses);
  const macs = convs.reduce((s, c) => s + c.macs, 0);
  const firstConvMacs = (convs[0] as { macs: number }).macs;
  // forward + dW + dX (no dX for the first conv), per image
  const trainFlopsPerImage = 2 * (3 * macs - firstConvMacs);
  const optimizer = tf.train.momentum(0.1, 0.9, true);
  const step = makeTrainStep(model, optimizer);
  const data = randomBatch(batch, size, numClasses, 1);
  const stepTimes: number[] = [];
  let error: string | undefined;
  try {
    step(data.images, data.labels);
    for (let i = 0; i < steps; i++) {
      if (env.BENCH_PROFILE === '1' && i === steps - 1) KernelScope.timings = new Map();
      const start = performance.now();
      const loss = step(data.images, data.labels);
      stepTimes.push(performance.now() - start);
      console.log(`step ${i}: ${(stepTimes[i] as number).toFixed(0)} ms, loss ${loss.toFixed(3)}`);
    }
  } catch (e) {
    error = (e as Error).message;
    console.log(`training step failed: ${error}`);
  }
  if (KernelScope.timings) {
    console.log('inner kernel ms (last step):', Object.fromEntries([...KernelScope.timings].map(([k, v]) => [k, Math.round(v)])));
    KernelScope.timings = undefined;
  }
  const stepMs = stepTimes.length > 0 ? median(stepTimes) : Number.NaN;
  const imagesPerSecond = (batch / stepMs) * 1000;
  const achievedGflops = (trainFlopsPerImage * imagesPerSecond) / 1e9;
  const torch = pytorchReference();
  const cpuImagesPerSecond = (cpuGflops * 1e9) / trainFlopsPerImage;
  const rssBytes = process.resourceUsage().maxRSS * 1024;
  Object.assign(results, {
    resnet50dMacsPerImage: macs,
    trainFlopsPerImage,
    stepMs: stepTimes,
    medianStepMs: stepMs,
    imagesPerSecond,
    achievedGflops,
    fractionOfWasmPeak: achievedGflops / peak,
    cpuExtrapolatedImagesPerSecond: cpuImagesPerSecond,
    speedupOverCpu: imagesPerSecond / cpuImagesPerSecond,
    pytorch: torch,
    ratioToPytorch: 'imagesPerSecond' in torch ? imagesPerSecond / torch.imagesPerSecond : null,
    peakRssBytes: rssBytes,
    error,
  });

  const rows: [string, string][] = [
    ['backend', `${choice.name} (1 process)`],
    ['ResNet-50-D step', `${size}x${size}, batch ${batch}, median of ${stepTimes.length}: ${stepMs.toFixed(0)} ms`],
    ['images/s', imagesPerSecond.toFixed(3)],
    ['achieved GFLOP/s', `${achievedGflops.toFixed(1)} (${(trainFlopsPerImage / 1e9).toFixed(1)} GFLOP/image)`],
    ['wasm matmul peak (1 core)', `${peak.toFixed(1)} GFLOP/s -> ${((achievedGflops / peak) * 100).toFixed(0)}% of it`],
    [
      'PyTorch torchvision ResNet-50, 2 threads',
      'imagesPerSecond' in torch
        ? `${torch.imagesPerSecond.toFixed(2)} images/s -> ratio ${(imagesPerSecond / torch.imagesPerSecond).toFixed(2)}`
        : torch.skipped,
    ],
    [
      'stock cpu, layer1 3x3 conv (extrapolated)',
      `${cpuGflops.toFixed(2)} GFLOP/s -> ${cpuImagesPerSecond.toFixed(4)} images/s; speed-up ${(imagesPerSecond / cpuImagesPerSecond).toFixed(0)}x`,
    ],
    ['stock wasm', `${results.stockWasm}; layer1 3x3 conv gradient: ${stockLayer}`],
    ['this package, layer1 3x3 conv gradient', `${(layer.flops / layerWasmMs / 1e6).toFixed(1)} GFLOP/s`],
    ['peak RSS', `${(rssBytes / 2 ** 30).toFixed(2)} GiB`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  const outDir = join(packageDir, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'train.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${join(outDir, 'train.json')}`);
}

await main();
