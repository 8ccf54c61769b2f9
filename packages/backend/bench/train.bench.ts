import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReplicaPool } from '@bot/parallel';
import * as tf from '@tensorflow/tfjs';
import {
  KernelScope,
  registerWasmTrainingKernels,
  selectBackend,
  unregisterWasmTrainingKernels,
} from '../src/index.js';
import { benchFma } from './fma.bench.js';
import { resnet50d } from './resnet50d.js';
import { makeTrainStep, median, randomBatch } from './train-step.js';
import { benchWebGPU } from './webgpu.bench.js';

const env = process.env;
const batch = Number(env.BENCH_BATCH ?? 8);
const replicas = Number(env.BENCH_REPLICAS ?? 2);
const microBatch = Number(env.BENCH_MICRO_BATCH ?? 4);
// One process (one core) is timed at this batch, which fits its wasm heap.
const singleBatch = Number(env.BENCH_SINGLE_BATCH ?? microBatch);
const size = Number(env.BENCH_SIZE ?? 224);
const steps = Number(env.BENCH_STEPS ?? 3);
const numClasses = 1000;
const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..', '..', '..');

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
  if (result.status !== 0)
    return { skipped: `python3 failed: ${(result.stderr ?? '').trim().split('\n').pop()}` };
  const detail = JSON.parse(result.stdout.trim().split('\n').pop() as string) as { median_s: number };
  return { imagesPerSecond: batch / detail.median_s, detail };
}

/** Batch 8 in one wasm heap: reports whether it fits, or the guard's advice when it does not. */
function singleProcessFullBatch(size: number, numClasses: number): string {
  const { model } = resnet50d(size, numClasses);
  const step = makeTrainStep(model, tf.train.momentum(0.1, 0.9, true));
  const data = randomBatch(batch, size, numClasses, 2);
  try {
    step(data.images, data.labels);
    return 'fits';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message.split('. ')[0]}`;
  } finally {
    tf.dispose([data.images, data.labels]);
    model.dispose();
  }
}

function requestedBackend(): string | undefined {
  const i = process.argv.indexOf('--backend');
  const value =
    i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith('--backend='))?.slice(10);
  return value ?? env.BENCH_BACKEND;
}

async function main() {
  const backend = requestedBackend();
  if (backend === 'webgpu') return benchWebGPU(packageDir);
  if (backend !== undefined && backend !== 'wasm') {
    console.error(`--backend must be wasm (the default) or webgpu; got '${backend}'`);
    process.exit(2);
  }
  const choice = await selectBackend({ log: (m) => console.log(m) });
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    backend: choice,
    batch,
    size,
    steps,
  };

  await tf.setBackend('wasm');
  const peak = matmulPeakGflops();
  results.wasmMatmulPeakGflops = peak;
  console.log(`wasm matmul peak (1024^3, one core): ${peak.toFixed(1)} GFLOP/s`);

  const layer = layerGradient(2);
  const layerWasmMs = timeMs(layer.run, 3);
  // dX alone, where the stock kernel exists: ours, then the stock one.
  const dy = tf.randomNormal([2, 56, 56, 64]) as tf.Tensor4D;
  const filter = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
  const backpropInput = () =>
    tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
      strides: [1, 1],
      pad: 'same',
      dataFormat: 'NHWC',
      inputShape: [2, 56, 56, 64],
    } as never) as tf.Tensor;
  const dxFlops = 2 * 2 * 56 * 56 * 64 * 64 * 9;
  const dxOursGflops = dxFlops / timeMs(backpropInput, 5) / 1e6;
  unregisterWasmTrainingKernels();
  const dxStockGflops = dxFlops / timeMs(backpropInput, 1) / 1e6;
  let stockLayer: string;
  try {
    stockLayer = `${((layer.flops / timeMs(layer.run, 1)) * 1e-6).toFixed(2)} GFLOP/s`;
  } catch (error) {
    stockLayer = `cannot run: ${(error as Error).message}`;
  }
  registerWasmTrainingKernels();
  tf.dispose([dy, filter]);
  layer.dispose();
  results.conv2DBackpropInput = { oursGflops: dxOursGflops, stockGflops: dxStockGflops };
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
  const data = randomBatch(singleBatch, size, numClasses, 1);
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
    console.log(
      'inner kernel ms (last step):',
      Object.fromEntries([...KernelScope.timings].map(([k, v]) => [k, Math.round(v)])),
    );
    KernelScope.timings = undefined;
  }
  const singleStepMs = stepTimes.length > 0 ? median(stepTimes) : Number.NaN;
  const singleImagesPerSecond = (singleBatch / singleStepMs) * 1000;
  tf.dispose([data.images, data.labels]);
  model.dispose();

  // Both cores: data-parallel replicas in worker threads, batch split over them.
  const replicaTimes: number[] = [];
  let replicaError: string | undefined;
  if (replicas > 1) {
    const pool = await createReplicaPool({
      module: new URL('./resnet-replica.js', import.meta.url),
      replicas,
      microBatch,
      backend: 'wasm',
      options: { size, numClasses },
    });
    const images = new Float32Array(batch * size * size * 3);
    for (let i = 0; i < images.length; i++) images[i] = Math.sin(i * 0.001);
    const labels = Int32Array.from({ length: batch }, (_, i) => (i * 37) % numClasses);
    const shape: [number, number, number, number] = [batch, size, size, 3];
    try {
      await pool.step({ images, shape, labels });
      for (let i = 0; i < steps; i++) {
        const start = performance.now();
        const { loss, replicaMs } = await pool.step({ images, shape, labels });
        replicaTimes.push(performance.now() - start);
        console.log(
          `${replicas} replicas step ${i}: ${(replicaTimes[i] as number).toFixed(0)} ms (replicas ${replicaMs.map((m) => m.toFixed(0)).join(', ')}), loss ${loss.toFixed(3)}`,
        );
      }
    } catch (e) {
      replicaError = (e as Error).message;
      console.log(`replica step failed: ${replicaError}`);
    } finally {
      await pool.close();
    }
  }
  const replicaStepMs = replicaTimes.length > 0 ? median(replicaTimes) : Number.NaN;
  const useReplicas = replicaTimes.length > 0;
  const stepMs = useReplicas ? replicaStepMs : singleStepMs;
  const stepBatch = useReplicas ? batch : singleBatch;
  const imagesPerSecond = (stepBatch / stepMs) * 1000;
  const achievedGflops = (trainFlopsPerImage * imagesPerSecond) / 1e9;
  const cores = useReplicas ? replicas : 1;
  const torch = pytorchReference();
  const cpuImagesPerSecond = (cpuGflops * 1e9) / trainFlopsPerImage;
  const rssBytes = process.resourceUsage().maxRSS * 1024;
  const oomCheck = env.BENCH_OOM_CHECK === '0' ? 'skipped' : singleProcessFullBatch(size, numClasses);
  Object.assign(results, {
    resnet50dMacsPerImage: macs,
    trainFlopsPerImage,
    singleProcess: {
      batch: singleBatch,
      stepMs: stepTimes,
      medianStepMs: singleStepMs,
      imagesPerSecond: singleImagesPerSecond,
    },
    replicaPool: {
      replicas,
      batch,
      microBatch,
      stepMs: replicaTimes,
      medianStepMs: replicaStepMs,
      error: replicaError,
    },
    replicaSpeedup: useReplicas ? imagesPerSecond / singleImagesPerSecond : null,
    imagesPerSecond,
    achievedGflops,
    fractionOfWasmPeak: achievedGflops / (cores * peak),
    cpuExtrapolatedImagesPerSecond: cpuImagesPerSecond,
    speedupOverCpu: imagesPerSecond / cpuImagesPerSecond,
    pytorch: torch,
    ratioToPytorch: 'imagesPerSecond' in torch ? imagesPerSecond / torch.imagesPerSecond : null,
    peakRssBytes: rssBytes,
    singleProcessFullBatch: oomCheck,
    error,
  });

  const rows: [string, string][] = [
    ['backend', choice.name],
    [
      'one process (1 core)',
      `batch ${singleBatch}, median of ${stepTimes.length}: ${singleStepMs.toFixed(0)} ms/step, ${singleImagesPerSecond.toFixed(3)} images/s`,
    ],
    [
      `${replicas} replicas (${replicas} cores)`,
      useReplicas
        ? `batch ${batch} (micro-batch ${microBatch}), median of ${replicaTimes.length}: ${replicaStepMs.toFixed(0)} ms/step, speed-up ${(imagesPerSecond / singleImagesPerSecond).toFixed(2)}x over one process`
        : `not run (${replicaError ?? 'BENCH_REPLICAS=1'})`,
    ],
    ['images/s', `${imagesPerSecond.toFixed(3)} (ResNet-50-D, ${size}x${size}, batch ${stepBatch})`],
    [
      'achieved GFLOP/s',
      `${achievedGflops.toFixed(1)} (${(trainFlopsPerImage / 1e9).toFixed(1)} GFLOP/image)`,
    ],
    [
      'wasm matmul peak',
      `${peak.toFixed(1)} GFLOP/s per core, x${cores} cores -> ${((achievedGflops / (cores * peak)) * 100).toFixed(0)}% of it`,
    ],
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
    ['stock wasm', `${results.stockWasm}`],
    ['this package, layer1 3x3 conv gradient', `${(layer.flops / layerWasmMs / 1e6).toFixed(1)} GFLOP/s`],
    [
      'Conv2DBackpropInput, layer1 3x3',
      `${dxOursGflops.toFixed(1)} GFLOP/s vs stock wasm ${dxStockGflops.toFixed(2)} (${(dxOursGflops / dxStockGflops).toFixed(0)}x)`,
    ],
    [
      'peak RSS',
      `${(rssBytes / 2 ** 30).toFixed(2)} GiB (main process; each replica worker has its own wasm heap)`,
    ],
    [`one process, batch ${batch}`, oomCheck],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  // The FMA (relaxed SIMD) GEMMs against the non-FMA twin and XNNPACK, interleaved in this process.
  if (env.BENCH_FMA !== '0') {
    results.fma = await benchFma({
      size,
      batch: singleBatch,
      rounds: Number(env.BENCH_FMA_ROUNDS ?? steps),
      matmulN: Number(env.BENCH_FMA_MATMUL ?? 1024),
    });
  }
  const outDir = join(packageDir, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'train.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${join(outDir, 'train.json')}`);
}

await main();
