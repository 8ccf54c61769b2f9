import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type BackendChoice, selectBackend, WEBGPU_CONV2D_DW_TILED } from '../src/index.js';
import { useSwiftShader } from '../src/swiftshader.js';
import { resnet50d } from './resnet50d.js';
import { makeAsyncTrainStep, median, randomBatch } from './train-step.js';

/** The wasm figure of bench:train on 2 cores (packages/backend/README.md), when no bench-results/train.json exists. */
const README_WASM_IMAGES_PER_SECOND = 1.317;

interface BatchResult {
  batch: number;
  stepMs?: number[];
  medianStepMs?: number;
  imagesPerSecond?: number;
  achievedTflops?: number;
  peakGpuBytes?: number;
  error?: string;
}

interface TorchResult {
  precision: string;
  batch: number;
  imagesPerSecond?: number;
  peakMemoryBytes?: number;
  skipped?: string;
}

/** FLOP/s in the unit that fits: SwiftShader reaches GFLOP/s, a GPU TFLOP/s. */
function flops(perSecond: number): string {
  return perSecond >= 1e12
    ? `${(perSecond / 1e12).toFixed(2)} TFLOP/s`
    : `${(perSecond / 1e9).toFixed(2)} GFLOP/s`;
}

function gpuBytes(): number {
  const backend = tf.backend() as unknown as { bufferManager?: { numBytesAllocated: number } };
  return backend.bufferManager?.numBytesAllocated ?? 0;
}

/** Matrix-multiply throughput of tfjs' webgpu matmul: the ceiling our convolutions (all matmuls) can reach. */
async function matmulPeakTflops(n: number): Promise<number> {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const start = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    times.push(performance.now() - start);
    c.dispose();
  }
  tf.dispose([a, b]);
  return (2 * n ** 3) / median(times.slice(1)) / 1e9;
}

async function timeBatch(
  batch: number,
  size: number,
  steps: number,
  flopsPerImage: number,
): Promise<BatchResult> {
  const { model } = resnet50d(size, 1000);
  const optimizer = tf.train.momentum(0.1, 0.9, true);
  const step = makeAsyncTrainStep(model, optimizer);
  const data = randomBatch(batch, size, 1000, 3);
  try {
    await step(data.images, data.labels);
    await step(data.images, data.labels);
    const stepMs: number[] = [];
    for (let i = 0; i < steps; i++) {
      const start = performance.now();
      const loss = await step(data.images, data.labels);
      stepMs.push(performance.now() - start);
      console.log(
        `  batch ${batch} step ${i}: ${(stepMs[i] as number).toFixed(1)} ms, loss ${loss.toFixed(3)}`,
      );
    }
    const medianStepMs = median(stepMs);
    const imagesPerSecond = (batch / medianStepMs) * 1000;
    return {
      batch,
      stepMs,
      medianStepMs,
      imagesPerSecond,
      achievedTflops: (imagesPerSecond * flopsPerImage) / 1e12,
      peakGpuBytes: gpuBytes(),
    };
  } catch (error) {
    return { batch, error: `${(error as Error).name}: ${(error as Error).message.split('\n')[0]}` };
  } finally {
    tf.dispose([data.images, data.labels]);
    optimizer.dispose();
    model.dispose();
  }
}

function cudaAvailable(): string | null {
  const python = process.env.BENCH_PYTHON ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import torch; assert torch.cuda.is_available()'], {
    encoding: 'utf8',
  });
  return probe.status === 0 ? null : `${python}: torch with CUDA is not available`;
}

function torchStep(
  batch: number,
  size: number,
  steps: number,
  precision: 'fp32' | 'amp',
  script: string,
): TorchResult {
  const python = process.env.BENCH_PYTHON ?? 'python3';
  const run = spawnSync(
    python,
    [script, String(batch), String(size), '8', String(steps), 'cuda', precision],
    {
      encoding: 'utf8',
      timeout: 600_000,
    },
  );
  if (run.status !== 0)
    return { precision, batch, skipped: (run.stderr ?? '').trim().split('\n').pop() ?? 'failed' };
  const detail = JSON.parse(run.stdout.trim().split('\n').pop() as string) as {
    median_s: number;
    peak_memory_bytes: number;
  };
  return {
    precision,
    batch,
    imagesPerSecond: batch / detail.median_s,
    peakMemoryBytes: detail.peak_memory_bytes,
  };
}

function wasmReference(packageDir: string): { imagesPerSecond: number; source: string } {
  const file = join(packageDir, 'bench-results', 'train.json');
  if (existsSync(file)) {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { imagesPerSecond?: number; date?: string };
    if (json.imagesPerSecond)
      return { imagesPerSecond: json.imagesPerSecond, source: `bench-results/train.json (${json.date})` };
  }
  return { imagesPerSecond: README_WASM_IMAGES_PER_SECOND, source: 'packages/backend/README.md (2 cores)' };
}

/**
 * `npm run bench:train -- --backend webgpu`: full ResNet-50-D training steps on WebGPU at batch 32 and the
 * largest batch up to 256 that fits, next to PyTorch on the same GPU when it has CUDA. On a software adapter
 * (SwiftShader: where no GPU adapter is found, or with BENCH_SWIFTSHADER=1) it runs at a small size and labels
 * the figures as CPU emulation.
 */
export async function benchWebGPU(packageDir: string): Promise<void> {
  const env = process.env;
  if (env.BENCH_SWIFTSHADER === '1' && useSwiftShader() === undefined) {
    throw new Error('BENCH_SWIFTSHADER=1: no SwiftShader Vulkan driver (Debian: apt-get install chromium)');
  }
  let choice: BackendChoice;
  try {
    choice = await selectBackend({ prefer: 'webgpu', log: (m) => console.log(m) });
  } catch (error) {
    // No GPU here: a new Dawn instance reads the Vulkan driver list again, now with SwiftShader's.
    if (env.BENCH_SWIFTSHADER === '1' || useSwiftShader() === undefined) throw error;
    console.log(`no WebGPU adapter (${(error as Error).message}): measuring on SwiftShader, a CPU emulation`);
    delete (globalThis as { navigator?: unknown }).navigator;
    choice = await selectBackend({ prefer: 'webgpu', log: (m) => console.log(m) });
  }
  const software = choice.adapter?.software ?? false;
  const label = software ? ' [CPU emulation: SwiftShader, not a GPU figure]' : '';
  const size = Number(env.BENCH_SIZE ?? (software ? 32 : 224));
  const steps = Number(env.BENCH_STEPS ?? (software ? 2 : 5));
  const batches = (env.BENCH_BATCHES ?? (software ? '2,4' : '32,64,128,256')).split(',').map(Number);
  const { convs } = resnet50d(size, 1000);
  tf.disposeVariables();
  const macs = convs.reduce((s, c) => s + c.macs, 0);
  const flopsPerImage = 2 * (3 * macs - (convs[0] as { macs: number }).macs);

  const peak = await matmulPeakTflops(software ? 512 : 4096);
  console.log(`webgpu matmul peak: ${flops(peak * 1e12)}${label}`);

  const results: BatchResult[] = [];
  for (const batch of batches) {
    console.log(`ResNet-50-D ${size}x${size}, batch ${batch}:`);
    const result = await timeBatch(batch, size, steps, flopsPerImage);
    results.push(result);
    if (result.error) {
      console.log(`  batch ${batch} failed: ${result.error}`);
      break;
    }
  }
  const first = results[0];
  tf.env().set(WEBGPU_CONV2D_DW_TILED, false);
  console.log(`batch ${first?.batch} with tfjs' own filter-gradient kernel:`);
  const stockFilterGradient = first ? await timeBatch(first.batch, size, steps, flopsPerImage) : undefined;
  tf.env().set(WEBGPU_CONV2D_DW_TILED, true);

  const fitted = results.filter((r) => r.imagesPerSecond !== undefined);
  const largest = fitted.at(-1);
  const noCuda = cudaAvailable();
  const script = join(packageDir, 'bench', 'torch_train_step.py');
  const torch: TorchResult[] = [];
  for (const r of noCuda === null ? fitted : []) {
    if (r !== first && r !== largest) continue;
    for (const precision of ['fp32', 'amp'] as const)
      torch.push(torchStep(r.batch, size, steps, precision, script));
  }
  const wasm = wasmReference(packageDir);

  const rows: [string, string][] = [['adapter', choice.reason]];
  rows.push(['webgpu matmul peak', `${flops(peak * 1e12)}${label}`]);
  for (const r of results) {
    rows.push([
      `batch ${r.batch}`,
      r.imagesPerSecond === undefined
        ? `does not fit: ${r.error}`
        : `${r.imagesPerSecond.toFixed(2)} images/s, ${flops((r.achievedTflops as number) * 1e12)} (${(((r.achievedTflops as number) / peak) * 100).toFixed(0)}% of matmul peak), ${((r.peakGpuBytes as number) / 2 ** 30).toFixed(2)} GiB of GPU buffers, median ${(r.medianStepMs as number).toFixed(1)} ms/step${label}`,
    ]);
  }
  if (stockFilterGradient?.imagesPerSecond !== undefined) {
    rows.push([
      `batch ${stockFilterGradient.batch}, tfjs' filter gradient`,
      `${stockFilterGradient.imagesPerSecond.toFixed(2)} images/s (ours: ${(first?.imagesPerSecond ?? 0).toFixed(2)})${label}`,
    ]);
  }
  for (const t of torch) {
    const ours = results.find((r) => r.batch === t.batch)?.imagesPerSecond ?? Number.NaN;
    rows.push([
      `PyTorch ${t.precision}, batch ${t.batch}`,
      t.imagesPerSecond === undefined
        ? `failed: ${t.skipped}`
        : `${t.imagesPerSecond.toFixed(1)} images/s -> ours ${(ours / t.imagesPerSecond).toFixed(3)}x`,
    ]);
  }
  if (noCuda !== null) rows.push(['PyTorch', `not run (${noCuda})`]);
  if (largest?.imagesPerSecond !== undefined) {
    rows.push([
      'vs our wasm',
      `${(largest.imagesPerSecond / wasm.imagesPerSecond).toFixed(1)}x the 2-core wasm figure (${wasm.imagesPerSecond.toFixed(3)} images/s, ${wasm.source})${label}`,
    ]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  const json = {
    date: new Date().toISOString(),
    backend: choice,
    software,
    size,
    steps,
    trainFlopsPerImage: flopsPerImage,
    matmulPeakTflops: peak,
    batches: results,
    stockFilterGradient,
    pytorch: noCuda === null ? torch : { skipped: noCuda },
    wasmReference: wasm,
  };
  const outDir = env.BENCH_OUT ?? join(packageDir, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'train-webgpu.json'), `${JSON.stringify(json, null, 2)}\n`);
  console.log(`wrote ${join(outDir, 'train-webgpu.json')}`);
}
