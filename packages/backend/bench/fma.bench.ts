import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  configureWasmGemm,
  KernelScope,
  registerWasmTrainingKernels,
  type WasmGemmPath,
  wasmGemmChoice,
} from '../src/index.js';
import type { WasmBackendLike } from '../src/wasm-kernel-scope.js';
import { resnet50d } from './resnet50d.js';
import { layerGradient, makeTrainStep, median, randomBatch } from './train-step.js';

// The FMA (relaxed SIMD) GEMM against this package's non-FMA twin and XNNPACK, in one process, the paths
// interleaved round by round (so a change in the machine's load hits all three alike): the 1024^3 matmul
// peak, the layer1 3x3 conv gradients, and a one-process ResNet-50-D training step. Not a test.
// `npm run bench:fma`; `npm run bench:train` runs it first, for its one-process figures.
// Knobs: BENCH_SIZE (224), BENCH_SINGLE_BATCH (4), BENCH_FMA_ROUNDS (3), BENCH_FMA_MATMUL (1024).

const env = process.env;
const PATHS: WasmGemmPath[] = ['xnnpack', 'relaxed', 'simd'];
const SETTINGS: Record<WasmGemmPath, boolean | 'simd'> = { xnnpack: false, relaxed: true, simd: 'simd' };

type Times = Record<WasmGemmPath, number[]>;

/**
 * Runs `body` once per path per round, paths interleaved; returns each path's wall-clock milliseconds and
 * CPU milliseconds (`process.cpuUsage()` of this process: on a loaded machine the wall clock also counts
 * the time slices other processes took, the CPU time does not).
 */
function interleaved(paths: WasmGemmPath[], rounds: number, body: (path: WasmGemmPath) => void) {
  const empty = () => Object.fromEntries(paths.map((p) => [p, [] as number[]])) as Times;
  const wall = empty();
  const cpu = empty();
  for (const path of paths) {
    configureWasmGemm(SETTINGS[path]);
    // Warm-up, twice: V8 first runs a wasm function on its baseline compiler (Liftoff, several times
    // slower on SIMD) and tiers it up once it is hot.
    body(path);
    body(path);
  }
  for (let r = 0; r < rounds; r++) {
    for (const path of paths) {
      configureWasmGemm(SETTINGS[path]);
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      body(path);
      wall[path].push(performance.now() - start);
      const used = process.cpuUsage(cpuStart);
      cpu[path].push((used.user + used.system) / 1000);
    }
  }
  configureWasmGemm(false);
  return { wall, cpu };
}

/** A figure by the wall clock and per CPU second of this process. */
interface Figure {
  wall: number;
  cpu: number;
}
const rate = (work: number, t: { wall: Times; cpu: Times }, p: WasmGemmPath): Figure => ({
  wall: work / median(t.wall[p]),
  cpu: work / median(t.cpu[p]),
});

export interface FmaBenchResult {
  conditions: string;
  relaxedSimd: unknown;
  /** GFLOP/s */
  matmul: { n: number; gflops: Record<string, Figure> };
  /** GFLOP/s */
  layer: { gflops: Record<string, Figure> };
  step?: {
    size: number;
    batch: number;
    imagesPerSecond: Record<string, Figure>;
    /** milliseconds in this package's GEMM per step (median) */
    gemmMs: Record<string, number>;
  };
  stepError?: string;
}

export async function benchFma(options: { size: number; batch: number; rounds: number; matmulN: number }) {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  const detect = configureWasmGemm(true);
  console.log(`FMA bench: ${detect.reason}`);
  const paths = detect.path === 'relaxed' ? PATHS : PATHS.filter((p) => p !== 'relaxed');
  const { size, batch, rounds, matmulN: n } = options;
  const result: FmaBenchResult = {
    conditions: `one process, paths interleaved over ${rounds} rounds, medians; ${new Date().toISOString()}`,
    relaxedSimd: detect.relaxedSimd,
    matmul: { n, gflops: {} },
    layer: { gflops: {} },
  };

  // The matmul peak: XNNPACK through tf.matMul (as bench:train measures it), ours through a KernelScope.
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const backend = tf.backend() as unknown as WasmBackendLike;
  const mm = interleaved(paths, rounds, (path) => {
    if (path === 'xnnpack') {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    } else {
      const scope = new KernelScope(backend, 'wasm');
      scope.matMul(a as never, b as never);
      scope.dispose();
    }
  });
  tf.dispose([a, b]);
  for (const p of paths) result.matmul.gflops[p] = rate((2 * n ** 3) / 1e6, mm, p);

  // ResNet-50's layer1 3x3 conv at batch 2: forward, dX, dW (each on the path's GEMM).
  const layerCase = layerGradient(2);
  const layer = interleaved(paths, rounds, () => {
    const out = layerCase.run();
    for (const t of out) t.dataSync();
    tf.dispose(out);
  });
  layerCase.dispose();
  for (const p of paths) result.layer.gflops[p] = rate(layerCase.flops / 1e6, layer, p);

  // One-process training steps, the paths interleaved on the same model and batch.
  const { model } = resnet50d(size, 1000);
  const step = makeTrainStep(model, tf.train.momentum(0.1, 0.9, true));
  const data = randomBatch(batch, size, 1000, 1);
  const gemmMs: Record<string, number[]> = Object.fromEntries(paths.map((p) => [p, []]));
  try {
    const steps = interleaved(paths, rounds, (path) => {
      KernelScope.timings = new Map();
      step(data.images, data.labels);
      const t = KernelScope.timings;
      gemmMs[path]?.push(path === 'xnnpack' ? Number.NaN : (t.get(`Gemm(${path})`) ?? 0));
      KernelScope.timings = undefined;
    });
    result.step = {
      size,
      batch,
      imagesPerSecond: Object.fromEntries(paths.map((p) => [p, rate(batch * 1000, steps, p)])),
      gemmMs: Object.fromEntries(paths.map((p) => [p, median(gemmMs[p] ?? [])])),
    };
  } catch (error) {
    result.stepError = (error as Error).message;
  } finally {
    KernelScope.timings = undefined;
    configureWasmGemm(false);
    tf.dispose([data.images, data.labels]);
    model.dispose();
  }

  const label: Record<WasmGemmPath, string> = {
    xnnpack: 'XNNPACK (BOT_WASM_FMA=0)',
    relaxed: 'FMA (relaxed_madd, default)',
    simd: 'non-FMA twin (mul+add)',
  };
  console.log(
    `FMA bench (${result.conditions}); relaxed SIMD: ${wasmGemmChoice().path} now, detection ${detect.relaxedSimd?.how}`,
  );
  const header = ['', ...paths.map((p) => label[p])];
  const rows: string[][] = [header];
  const fig = (f: Figure | undefined, digits: number) =>
    f === undefined ? '-' : `${f.wall.toFixed(digits)} (${f.cpu.toFixed(digits)})`;
  rows.push([`matmul ${n}^3, one core, GFLOP/s`, ...paths.map((p) => fig(result.matmul.gflops[p], 1))]);
  rows.push(['layer1 3x3 conv fwd+dX+dW, GFLOP/s', ...paths.map((p) => fig(result.layer.gflops[p], 1))]);
  if (result.step) {
    const s = result.step;
    rows.push([`step ${size}px batch ${batch}, images/s`, ...paths.map((p) => fig(s.imagesPerSecond[p], 3))]);
    rows.push([
      '  ms of it in our GEMMs',
      ...paths.map((p) => (p === 'xnnpack' ? '-' : (s.gemmMs[p] ?? 0).toFixed(0))),
    ]);
  } else {
    rows.push(['step', `failed: ${result.stepError}`]);
  }
  console.log('figures: by the wall clock (per CPU second of this process); medians');
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows)
    console.log(
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '),
    );
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await benchFma({
    size: Number(env.BENCH_SIZE ?? 224),
    batch: Number(env.BENCH_SINGLE_BATCH ?? 4),
    rounds: Number(env.BENCH_FMA_ROUNDS ?? 3),
    matmulN: Number(env.BENCH_FMA_MATMUL ?? 1024),
  });
  const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'fma.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${join(outDir, 'fma.json')}`);
}
