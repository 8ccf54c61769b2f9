import { createReplicaPool } from '@bot/parallel';
import type { WasmGemmPath } from '../src/index.js';
import { median } from './train-step.js';

/** BOT_WASM_FMA for each GEMM path: replica workers select their backend from a copy of this environment. */
const FMA_ENV: Record<WasmGemmPath, string> = { xnnpack: '0', relaxed: '1', simd: 'simd' };

export interface ReplicaSteps {
  /** Wall-clock milliseconds per timed step. */
  wallMs: number[];
  /** CPU milliseconds of this process (main thread and replica workers) per timed step. */
  cpuMs: number[];
  medianWallMs: number;
  medianCpuMs: number;
  error?: string;
}

export interface ReplicaStepOptions {
  replicas: number;
  batch: number;
  microBatch: number;
  size: number;
  numClasses: number;
  /** Timed steps per path and round, after two warm-up steps. */
  steps: number;
  rounds: number;
  log: (line: string) => void;
}

/**
 * Data-parallel ResNet-50-D steps (one replica per core, the batch split over them) on each GEMM path, the
 * paths interleaved round by round so that a change in the machine's load hits all alike. Each round of a
 * path starts a fresh pool whose workers take the path from BOT_WASM_FMA.
 */
export async function replicaStepsByPath(
  paths: readonly WasmGemmPath[],
  options: ReplicaStepOptions,
): Promise<Record<string, ReplicaSteps>> {
  const { replicas, batch, microBatch, size, numClasses, steps, rounds, log } = options;
  const images = new Float32Array(batch * size * size * 3);
  for (let i = 0; i < images.length; i++) images[i] = Math.sin(i * 0.001);
  const labels = Int32Array.from({ length: batch }, (_, i) => (i * 37) % numClasses);
  const shape: [number, number, number, number] = [batch, size, size, 3];
  const results: Record<string, ReplicaSteps> = Object.fromEntries(
    paths.map((p) => [p, { wallMs: [], cpuMs: [], medianWallMs: Number.NaN, medianCpuMs: Number.NaN }]),
  );
  const saved = process.env.BOT_WASM_FMA;
  try {
    for (let round = 0; round < rounds; round++) {
      for (const path of paths) {
        const result = results[path] as ReplicaSteps;
        if (result.error !== undefined) continue;
        process.env.BOT_WASM_FMA = FMA_ENV[path];
        const pool = await createReplicaPool({
          module: new URL('./resnet-replica.js', import.meta.url),
          replicas,
          microBatch,
          backend: 'wasm',
          options: { size, numClasses },
        });
        if (round === 0) log(`${replicas} replicas, ${path}: ${pool.backendReason}`);
        try {
          // Two warm-up steps: V8 tiers the wasm functions up once they are hot.
          for (let i = 0; i < 2; i++) await pool.step({ images, shape, labels });
          for (let i = 0; i < steps; i++) {
            const cpuStart = process.cpuUsage();
            const start = performance.now();
            const { loss, replicaMs } = await pool.step({ images, shape, labels });
            const used = process.cpuUsage(cpuStart);
            result.wallMs.push(performance.now() - start);
            result.cpuMs.push((used.user + used.system) / 1000);
            log(
              `${replicas} replicas, ${path}, round ${round}, step ${i}: ${(result.wallMs.at(-1) as number).toFixed(0)} ms (CPU ${(result.cpuMs.at(-1) as number).toFixed(0)} ms; forward + backward in the replicas ${replicaMs.map((m) => m.toFixed(0)).join(', ')} ms), loss ${loss}`,
            );
          }
        } catch (error) {
          result.error = (error as Error).message;
          log(`${replicas} replicas, ${path}: step failed: ${result.error}`);
        } finally {
          await pool.close();
        }
      }
    }
  } finally {
    if (saved === undefined) delete process.env.BOT_WASM_FMA;
    else process.env.BOT_WASM_FMA = saved;
  }
  for (const result of Object.values(results)) {
    if (result.wallMs.length === 0) continue;
    result.medianWallMs = median(result.wallMs);
    result.medianCpuMs = median(result.cpuMs);
  }
  return results;
}
