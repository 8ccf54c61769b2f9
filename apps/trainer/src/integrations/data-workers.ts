import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type WorkerDataset, workerDataset } from '@bot/data';
import type { TrainConfig } from '../config.js';
import type { DataWorkerArgs } from '../data-worker.js';

/**
 * Backends whose training step keeps the main thread busy dispatching device work: there, decoding and
 * augmenting move to worker threads so that the loader prepares the next batches during the step. (On wasm
 * with replicas the main thread waits for the replicas and loads in the meantime.)
 */
export const DEVICE_BACKENDS: ReadonlySet<string> = new Set(['webgpu', 'tensorflow-gpu', 'webgl']);

/** The compiled worker module (worker threads cannot load TypeScript): beside the app's files, or in dist/. */
function dataWorkerModule(): URL {
  const beside = new URL('../data-worker.js', import.meta.url);
  return existsSync(fileURLToPath(beside)) ? beside : new URL('../../dist/data-worker.js', import.meta.url);
}

/** The run's training set, loaded (decoded and augmented) in `config.workers` worker threads. */
export function trainingSetInWorkers(config: TrainConfig, cacheDir: string): Promise<WorkerDataset> {
  const args: DataWorkerArgs = { config, cacheDir };
  return workerDataset(dataWorkerModule(), { workers: config.workers, args });
}
