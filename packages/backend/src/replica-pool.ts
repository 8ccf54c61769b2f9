import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FromWorker, ReplicaBatch, ToWorker, VariableLayout } from './replica-protocol.js';

export interface ReplicaPoolOptions {
  /**
   * The replica module: a file path or URL of an ES module exporting `createReplica(options, info)`
   * (or a default export) that returns a `ReplicaSpec` (variables, loss, optimizer). Each worker
   * imports it once.
   */
  module: string | URL;
  /** Number of worker replicas (default 2: one per core of a 2-core machine). */
  replicas?: number;
  /** Passed to `createReplica` in every worker (structured-cloneable). */
  options?: unknown;
  /** Backend each worker selects (default: `selectBackend()`'s automatic choice). */
  backend?: string;
  /**
   * Most images one replica runs through forward and backward at once; a larger shard is split and
   * its gradients accumulated (weighted, so the result is still the shard's mean gradient). Use it
   * when a shard does not fit a wasm heap. Batch-norm statistics are then per micro-batch.
   * Default: no limit.
   */
  microBatch?: number;
}

export interface ReplicaStepResult {
  /** The batch's mean loss (the shards' losses weighted by their sizes). */
  loss: number;
  /** Milliseconds each replica spent on forward + backward. */
  replicaMs: number[];
}

export interface ReplicaPool {
  readonly replicas: number;
  /** Backend each worker is running. */
  readonly backend: string;
  /** The variables' names, shapes and offsets in the flattened buffers. */
  readonly layout: readonly VariableLayout[];
  /**
   * One synchronous data-parallel step: splits the batch along N into contiguous shards, each replica
   * computes its shard's mean loss and gradients, and every replica applies the size-weighted average
   * (the full batch's mean gradient) with its own identical optimizer, so the weights stay equal.
   */
  step(batch: ReplicaBatch): Promise<ReplicaStepResult>;
  /** Replica 0's current variable values, by variable name (copies). */
  getWeights(): Promise<Map<string, Float32Array>>;
  /** Replica 0's `getState()` (the replica module must define it): e.g. for a checkpoint. */
  getState(): Promise<unknown>;
  /** Calls `setState(state)` in every replica (e.g. on resume), so that they stay identical. */
  setState(state: unknown): Promise<void>;
  close(): Promise<void>;
}

function workerUrl(): URL {
  const beside = new URL('./replica-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  // Running from src/ (tests): use the compiled worker.
  return new URL('../dist/replica-worker.js', import.meta.url);
}

function moduleSpecifier(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module)) return module;
  return pathToFileURL(module).href;
}

class Replica {
  private pending: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(readonly worker: Worker) {
    worker.on('message', (message: FromWorker) => {
      const pending = this.pending;
      this.pending = undefined;
      if (message.type === 'error') {
        const error = new Error(`replica: ${message.message}`);
        if (message.stack !== undefined) error.stack = message.stack;
        pending?.reject(error);
      } else {
        pending?.resolve(message);
      }
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (code !== 0) this.fail(new Error(`replica worker exited with code ${code}`));
    });
  }

  private fail(error: Error) {
    this.failure = error;
    this.pending?.reject(error);
    this.pending = undefined;
  }

  request(message: ToWorker): Promise<FromWorker> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(message);
    });
  }
}

/**
 * Starts `replicas` worker threads, each with its own tfjs engine and wasm heap (so each has its own
 * 4 GiB limit and its own core), and keeps their weights in sync through a SharedArrayBuffer.
 * Batch-norm statistics are per replica (computed over each shard), as with data parallelism on
 * several GPUs.
 */
export async function createReplicaPool(options: ReplicaPoolOptions): Promise<ReplicaPool> {
  const count = options.replicas ?? 2;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`replicas must be an integer >= 1, got ${count}`);
  }
  const microBatch = options.microBatch ?? Number.POSITIVE_INFINITY;
  if (!(microBatch >= 1) || (Number.isFinite(microBatch) && !Number.isInteger(microBatch))) {
    throw new RangeError(`microBatch must be an integer >= 1, got ${options.microBatch}`);
  }
  const specifier = moduleSpecifier(options.module);
  const url = workerUrl();
  const workers = Array.from({ length: count }, () => new Replica(new Worker(url)));
  const close = async () => {
    await Promise.all(workers.map((w) => w.worker.terminate()));
  };
  try {
    const ready = await Promise.all(
      workers.map((w, replica) =>
        w.request({
          type: 'init',
          module: specifier,
          options: options.options,
          replica,
          replicas: count,
          backend: options.backend,
          microBatch,
        }),
      ),
    );
    const first = ready[0] as Extract<FromWorker, { type: 'ready' }>;
    const layout = first.layout;
    for (const [i, r] of ready.entries()) {
      const other = (r as Extract<FromWorker, { type: 'ready' }>).layout;
      const same =
        other.length === layout.length &&
        other.every((v, j) => v.size === layout[j]?.size && v.shape.join() === layout[j]?.shape.join());
      if (!same) throw new Error(`replica ${i} has different variables from replica 0`);
    }
    const total = layout.reduce((s, v) => s + v.size, 0);
    const buffer = new SharedArrayBuffer((count + 1) * total * 4);
    const weights = new Float32Array(buffer, count * total * 4, total);
    await (workers[0] as Replica).request({ type: 'share', buffer, total, source: true });
    await Promise.all(
      workers.slice(1).map((w) => w.request({ type: 'share', buffer, total, source: false })),
    );

    return {
      replicas: count,
      backend: first.backend,
      layout,
      async step(batch) {
        const [n, h, w, c] = batch.shape;
        if (batch.images.length !== n * h * w * c || batch.labels.length !== n) {
          throw new RangeError(
            `batch: images has ${batch.images.length} values and labels ${batch.labels.length} for shape [${batch.shape}]`,
          );
        }
        const targets = batch.targets;
        if (targets !== undefined && (n === 0 || targets.length % n !== 0)) {
          throw new RangeError(
            `batch.targets has ${targets.length} values, not a multiple of the ${n} images of shape [${batch.shape}]`,
          );
        }
        const perTarget = targets === undefined ? 0 : targets.length / n;
        const perImage = h * w * c;
        const sizes = workers.map((_, r) => Math.floor(((r + 1) * n) / count) - Math.floor((r * n) / count));
        let start = 0;
        const results = await Promise.all(
          workers.map((worker, r) => {
            const size = sizes[r] as number;
            const shard: ReplicaBatch | null =
              size === 0
                ? null
                : {
                    images: batch.images.slice(start * perImage, (start + size) * perImage),
                    shape: [size, h, w, c],
                    labels: batch.labels.slice(start, start + size),
                    ...(targets === undefined
                      ? {}
                      : { targets: targets.slice(start * perTarget, (start + size) * perTarget) }),
                  };
            start += size;
            return worker.request({ type: 'step', batch: shard });
          }),
        );
        const shares = sizes.map((s) => s / n);
        await Promise.all(workers.map((worker) => worker.request({ type: 'apply', shares })));
        let loss = 0;
        const replicaMs: number[] = [];
        for (const [r, result] of results.entries()) {
          const grads = result as Extract<FromWorker, { type: 'grads' }>;
          loss += (shares[r] as number) * grads.loss;
          replicaMs.push(grads.ms);
        }
        return { loss, replicaMs };
      },
      async getWeights() {
        await (workers[0] as Replica).request({ type: 'export' });
        return new Map(layout.map((v) => [v.name, weights.slice(v.offset, v.offset + v.size)]));
      },
      async getState() {
        const reply = await (workers[0] as Replica).request({ type: 'get-state' });
        return (reply as Extract<FromWorker, { type: 'state' }>).state;
      },
      async setState(state) {
        await Promise.all(workers.map((w) => w.request({ type: 'set-state', state })));
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
