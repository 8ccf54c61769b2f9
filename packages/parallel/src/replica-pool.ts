// Node's modules are imported when a pool starts, so that this package's entry also loads in a browser
// (where a single TrainingStep trains).
import type { Worker } from 'node:worker_threads';
import type { FromWorker, ReplicaBatch, ToWorker, VariableLayout } from './protocol.js';
import { type BatchRange, checkBatch, type StepBatch, sliceBatch, splitEvenly } from './split.js';

export interface ReplicaPoolOptions {
  /**
   * The replica module: a file path or URL of an ES module exporting `createReplica(options, info)`
   * (or a default export) that returns a `ReplicaSpec` (the options of its `TrainingStep`). Each worker
   * imports it once.
   */
  module: string | URL;
  /** Number of worker replicas (default 2: one per core of a 2-core machine). */
  replicas?: number;
  /** Passed to `createReplica` in every worker (structured-cloneable). */
  options?: unknown;
  /**
   * Backend each worker selects: through @bot/backend's `selectBackend` when it is installed (default: its
   * automatic choice), else `tf.setBackend`.
   */
  backend?: string;
  /**
   * Most images one replica runs through forward and backward at once, unless its spec sets `microBatch`;
   * a larger shard is split with `microBatches` and its gradients accumulated. Default: no limit.
   */
  microBatch?: number;
}

export interface ReplicaStepResult {
  /** The batch's mean loss (the shards' losses weighted by their sizes). */
  loss: number;
  /** False when the update was skipped (an inf/NaN gradient in any replica under loss scaling). */
  stepped: boolean;
  /** Milliseconds each replica spent on forward + backward. */
  replicaMs: number[];
}

export interface ReplicaPool {
  readonly replicas: number;
  /** Backend each worker is running. */
  readonly backend: string;
  /** Why replica 0 took it: `@bot/backend`'s reason (on wasm it names the GEMM path), or how it was set. */
  readonly backendReason: string;
  /** The variables' names, shapes and offsets in the flattened buffers. */
  readonly layout: readonly VariableLayout[];
  /**
   * One synchronous data-parallel step: splits the batch into contiguous shards (`splitEvenly`), each
   * replica computes its shard's mean gradient (`TrainingStep.gradients`), and every replica applies the
   * size-weighted average (`TrainingStep.apply`) with its own identical optimizer and loss scaler, so the
   * weights stay equal.
   */
  step(batch: StepBatch): Promise<ReplicaStepResult>;
  /** Replica 0's current variable values, by variable name (copies). */
  getWeights(): Promise<Map<string, Float32Array>>;
  /** Replica 0's `getState()` (the replica module must define it): e.g. for a checkpoint. */
  getState(): Promise<unknown>;
  /** Calls `setState(state)` in every replica (e.g. on resume), so that they stay identical. */
  setState(state: unknown): Promise<void>;
  close(): Promise<void>;
}

async function workerUrl(): Promise<URL> {
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const beside = new URL('./replica-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  // Running from src/ (tests): use the compiled worker.
  return new URL('../dist/replica-worker.js', import.meta.url);
}

async function moduleSpecifier(module: string | URL): Promise<string> {
  if (module instanceof URL) return module.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module)) return module;
  const { pathToFileURL } = await import('node:url');
  return pathToFileURL(module).href;
}

/** A shard to post to a worker: copies, since posting a view would copy its whole buffer. */
function shardOf(batch: ReplicaBatch, range: BatchRange): ReplicaBatch | null {
  if (range.to === range.from) return null;
  const view = sliceBatch(batch, range);
  return {
    images: (view.images as Float32Array).slice(),
    shape: view.shape,
    labels: view.labels.slice(),
    ...(view.targets === undefined ? {} : { targets: view.targets.slice() }),
  };
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

  request<T extends FromWorker['type']>(message: ToWorker): Promise<Extract<FromWorker, { type: T }>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve: resolve as (m: FromWorker) => void, reject };
      this.worker.postMessage(message);
    });
  }
}

function checkOptions(options: ReplicaPoolOptions): { count: number; microBatch: number | undefined } {
  const count = options.replicas ?? 2;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`replicas must be an integer >= 1, got ${count}`);
  }
  const microBatch = options.microBatch;
  if (microBatch !== undefined && !(Number.isInteger(microBatch) && microBatch >= 1)) {
    throw new RangeError(`microBatch must be an integer >= 1, got ${microBatch}`);
  }
  return { count, microBatch };
}

/**
 * Starts `replicas` worker threads, each with its own tfjs engine and wasm heap (so each has its own
 * 4 GiB limit and its own core), and keeps their weights in sync through a SharedArrayBuffer.
 * Batch-norm statistics are per replica (computed over each shard), as with data parallelism on
 * several GPUs.
 */
export async function createReplicaPool(options: ReplicaPoolOptions): Promise<ReplicaPool> {
  const { count, microBatch } = checkOptions(options);
  const { Worker } = await import('node:worker_threads');
  const url = await workerUrl();
  const specifier = await moduleSpecifier(options.module);
  const workers = Array.from({ length: count }, () => new Replica(new Worker(url)));
  const close = async () => {
    await Promise.all(workers.map((w) => w.worker.terminate()));
  };
  const first = workers[0] as Replica;
  try {
    const ready = await Promise.all(
      workers.map((w, replica) =>
        w.request<'ready'>({
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
    const layout = (ready[0] as (typeof ready)[number]).layout;
    for (const [i, r] of ready.entries()) {
      const same =
        r.layout.length === layout.length &&
        r.layout.every((v, j) => v.size === layout[j]?.size && v.shape.join() === layout[j]?.shape.join());
      if (!same) throw new Error(`replica ${i} has different variables from replica 0`);
    }
    const total = layout.reduce((s, v) => s + v.size, 0);
    const buffer = new SharedArrayBuffer((count + 1) * total * 4);
    const weights = new Float32Array(buffer, count * total * 4, total);
    await first.request({ type: 'share', buffer, total, source: true });
    await Promise.all(
      workers.slice(1).map((w) => w.request({ type: 'share', buffer, total, source: false })),
    );

    return {
      replicas: count,
      backend: (ready[0] as (typeof ready)[number]).backend,
      backendReason: (ready[0] as (typeof ready)[number]).backendReason,
      layout,
      async step(input) {
        checkBatch(input);
        // Shards are posted to the workers as arrays: a tensor batch is read back once.
        const images = input.images;
        const batch: ReplicaBatch = {
          ...input,
          images: images instanceof Float32Array ? images : ((await images.data()) as Float32Array),
        };
        const n = batch.shape[0];
        const ranges = splitEvenly(n, count);
        const results = await Promise.all(
          workers.map((worker, r) =>
            worker.request<'grads'>({ type: 'step', batch: shardOf(batch, ranges[r] as BatchRange) }),
          ),
        );
        const shares = ranges.map(({ from, to }) => (to - from) / n);
        const finite = results.every((r) => r.finite);
        const applied = await Promise.all(
          workers.map((worker) => worker.request<'applied'>({ type: 'apply', shares, finite })),
        );
        const loss = results.reduce((sum, r, i) => sum + (shares[i] as number) * r.loss, 0);
        return {
          loss,
          stepped: (applied[0] as (typeof applied)[number]).stepped,
          replicaMs: results.map((r) => r.ms),
        };
      },
      async getWeights() {
        await first.request({ type: 'export' });
        return new Map(layout.map((v) => [v.name, weights.slice(v.offset, v.offset + v.size)]));
      },
      async getState() {
        return (await first.request<'state'>({ type: 'get-state' })).state;
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
