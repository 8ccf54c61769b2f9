import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {
  configureWasmGemm,
  registerWasmTrainingKernels,
  selectBackend,
  unregisterWasmTrainingKernels,
  type WasmGemmPath,
} from '../src/index.js';
import { benchFma, type FmaBenchResult } from './fma.bench.js';
import { type ReplicaSteps, replicaStepsByPath } from './replica-steps.js';
import { resnet50d } from './resnet50d.js';
import { layerGradient, makeTrainStep, median, randomBatch } from './train-step.js';
import { benchWebGPU } from './webgpu.bench.js';

const env = process.env;
const batch = Number(env.BENCH_BATCH ?? 8);
const replicas = Number(env.BENCH_REPLICAS ?? 2);
const microBatch = Number(env.BENCH_MICRO_BATCH ?? 4);
// One process (one core) is timed at this batch, which fits its wasm heap.
const singleBatch = Number(env.BENCH_SINGLE_BATCH ?? microBatch);
const rounds = Number(env.BENCH_ROUNDS ?? 2);
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

interface TorchRun {
  median_s: number;
  step_s: number[];
  layer_gflops_one_thread?: number;
}

type TorchReference =
  | { imagesPerSecond: number; layerGflops: number; runs: TorchRun[] }
  | { skipped: string };

/** Runs PyTorch's ResNet-50-D step on 2 threads (bench/torch_train_step.py) once. */
function pytorchRun(): TorchRun | { skipped: string } {
  if (env.BENCH_TORCH === '0') return { skipped: 'BENCH_TORCH=0' };
  if (!existsSync('/usr/bin/python3')) return { skipped: 'no /usr/bin/python3' };
  const script = join(packageDir, 'bench', 'torch_train_step.py');
  const result = spawnSync('/usr/bin/python3', [script, String(batch), String(size), '2', String(steps)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (result.status !== 0)
    return { skipped: `python3 failed: ${(result.stderr ?? '').trim().split('\n').pop()}` };
  return JSON.parse(result.stdout.trim().split('\n').pop() as string) as TorchRun;
}

/** PyTorch's figures over its runs: the median of every step, and of the layer timings. */
function pytorchReference(runs: (TorchRun | { skipped: string })[]): TorchReference {
  const skipped = runs.find((r) => 'skipped' in r);
  if (skipped !== undefined) return skipped as { skipped: string };
  const done = runs as TorchRun[];
  return {
    imagesPerSecond: batch / median(done.flatMap((r) => r.step_s)),
    layerGflops: median(done.map((r) => r.layer_gflops_one_thread ?? Number.NaN)),
    runs: done,
  };
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

/** dX of the layer1 3x3 on this package's kernel against tfjs' stock wasm kernel, and whether stock wasm trains. */
function stockComparisons() {
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
  registerWasmTrainingKernels();
  tf.dispose([dy, filter]);
  return {
    conv2DBackpropInput: { oursGflops: dxOursGflops, stockGflops: dxStockGflops },
    stockWasm: stockWasmStatus(),
  };
}

async function cpuLayerGflops(): Promise<number> {
  await tf.setBackend('cpu');
  const layer = layerGradient(1);
  const gflops = layer.flops / timeMs(layer.run, 1) / 1e6;
  layer.dispose();
  await tf.setBackend('wasm');
  return gflops;
}

/** Training FLOPs per image: forward, dW and dX (no dX for the first convolution). */
function trainFlopsPerImage(): number {
  const { model, convs } = resnet50d(size, numClasses);
  model.dispose();
  const macs = convs.reduce((s, c) => s + c.macs, 0);
  return 2 * (3 * macs - (convs[0] as { macs: number }).macs);
}

const LABELS: Record<WasmGemmPath, string> = {
  relaxed: 'FMA microkernel (default)',
  simd: 'non-FMA microkernel',
  xnnpack: 'XNNPACK (BOT_WASM_FMA=0)',
};

/** One row per measure, one column per GEMM path, and PyTorch's where it has the measure. */
function printTable(
  paths: readonly WasmGemmPath[],
  fma: FmaBenchResult,
  pool: Record<string, ReplicaSteps>,
  torch: TorchReference,
  flopsPerImage: number,
) {
  const torchIps = 'imagesPerSecond' in torch ? torch.imagesPerSecond : Number.NaN;
  const torchLayer = 'layerGflops' in torch ? torch.layerGflops : Number.NaN;
  const show = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
  const poolIps = (p: WasmGemmPath) => (batch / (pool[p]?.medianWallMs ?? Number.NaN)) * 1000;
  const oneIps = (p: WasmGemmPath) => fma.step?.imagesPerSecond[p]?.wall ?? Number.NaN;
  const peak = (p: WasmGemmPath) => fma.matmul.gflops[p]?.wall ?? Number.NaN;
  const rows: [string, (p: WasmGemmPath) => number, number, number][] = [
    [`matmul ${fma.matmul.n}^3, one core, GFLOP/s`, peak, 1, Number.NaN],
    [
      'layer1 3x3 conv forward + dX + dW, batch 2, one core, GFLOP/s',
      (p) => fma.layer.gflops[p]?.wall ?? Number.NaN,
      1,
      torchLayer,
    ],
    [`one process, batch ${singleBatch}: images/s`, oneIps, 3, Number.NaN],
    [`${replicas} replicas (PyTorch: ${replicas} threads), batch ${batch}: images/s`, poolIps, 3, torchIps],
    ['... per CPU second', (p) => (batch / (pool[p]?.medianCpuMs ?? Number.NaN)) * 1000, 3, Number.NaN],
    ['... speed-up over one process', (p) => poolIps(p) / oneIps(p), 2, Number.NaN],
    [
      `... % of ${replicas} x the path's matmul peak`,
      (p) => (100 * flopsPerImage * poolIps(p)) / 1e9 / (replicas * peak(p)),
      0,
      Number.NaN,
    ],
    ['... ratio to PyTorch', (p) => poolIps(p) / torchIps, 3, Number.NaN],
  ];
  const header = ['', ...paths.map((p) => LABELS[p]), 'PyTorch (oneDNN)'];
  const table = [
    header,
    ...rows.map(([name, f, d, reference]) => [
      name,
      ...paths.map((p) => pool[p]?.error ?? show(f(p), d)),
      show(reference, d),
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  for (const r of table) {
    console.log(
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '),
    );
  }
  console.log(
    `PyTorch: ${'skipped' in torch ? torch.skipped : `ResNet-50-D, ${steps} steps x ${torch.runs.length} runs (before and after ours)`}; ours: medians of ${steps} steps per path per round, ${rounds} rounds, paths interleaved`,
  );
}

async function main() {
  const backend = requestedBackend();
  if (backend === 'webgpu') return benchWebGPU(packageDir);
  if (backend !== undefined && backend !== 'wasm') {
    console.error(`--backend must be wasm (the default) or webgpu; got '${backend}'`);
    process.exit(2);
  }
  const choice = await selectBackend({ prefer: 'wasm', log: (m) => console.log(m) });
  const started = new Date().toISOString();
  const load = (await import('node:os')).loadavg();

  // One process: the matmul peaks, the layer1 3x3 gradients and a training step on every GEMM path.
  const fma = await benchFma({ size, batch: singleBatch, rounds: steps, matmulN: 1024 });
  const paths = Object.keys(fma.matmul.gflops) as WasmGemmPath[];
  configureWasmGemm('auto');
  const stock = stockComparisons();
  const cpuGflops = await cpuLayerGflops();
  const flopsPerImage = trainFlopsPerImage();

  // PyTorch before and after ours, so that a drift of the machine's speed shows in both.
  const torchBefore = pytorchRun();
  const pool = await replicaStepsByPath(paths, {
    replicas,
    batch,
    microBatch,
    size,
    numClasses,
    steps,
    rounds,
    log: (line) => console.log(line),
  });
  const torch = pytorchReference([torchBefore, pytorchRun()]);
  const oomCheck = env.BENCH_OOM_CHECK === '0' ? 'skipped' : singleProcessFullBatch(size, numClasses);
  const defaultIps = (batch / (pool[choice.wasmGemm?.path ?? 'relaxed']?.medianWallMs ?? Number.NaN)) * 1000;
  const results = {
    date: started,
    loadAverageAtStart: load,
    backend: choice,
    batch,
    microBatch,
    replicas,
    size,
    steps,
    rounds,
    trainFlopsPerImage: flopsPerImage,
    fma,
    replicaPool: pool,
    pytorch: torch,
    ratioToPytorch: 'imagesPerSecond' in torch ? defaultIps / torch.imagesPerSecond : null,
    ...stock,
    cpuLayerGflops: cpuGflops,
    speedupOverCpu: (defaultIps * flopsPerImage) / (cpuGflops * 1e9),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    singleProcessFullBatch: oomCheck,
  };

  console.log(
    `\nResNet-50-D training steps, ${size}x${size}; load average at start ${load.map((l) => l.toFixed(1)).join(' ')}`,
  );
  printTable(paths, fma, pool, torch, flopsPerImage);
  console.log(
    `stock wasm: ${stock.stockWasm}; Conv2DBackpropInput layer1 3x3: ours ${stock.conv2DBackpropInput.oursGflops.toFixed(1)} vs stock ${stock.conv2DBackpropInput.stockGflops.toFixed(2)} GFLOP/s; stock cpu layer1 3x3: ${cpuGflops.toFixed(2)} GFLOP/s (the default path's step is ${results.speedupOverCpu.toFixed(0)}x that, extrapolated)`,
  );
  console.log(
    `peak RSS ${(results.peakRssBytes / 2 ** 30).toFixed(2)} GiB; one process, batch ${batch}: ${oomCheck}`,
  );
  const outDir = join(packageDir, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'train.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${join(outDir, 'train.json')}`);
}

await main();
