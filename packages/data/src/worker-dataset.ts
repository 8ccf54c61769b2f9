import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Rng } from '@bot/rng';
import { checkIndex, type Dataset, type Sample } from './dataset.js';

export interface WorkerDatasetOptions {
  /** Worker threads to start. Default: the available cores. */
  workers?: number;
  /** Passed (structured-cloned) to the module's `createDataset(args)` in every worker. */
  args?: unknown;
}

/** A dataset failure that is not about one item (a worker died): the loader rethrows it instead of skipping. */
export class FatalDatasetError extends Error {
  readonly fatal = true;
}

interface Pending {
  index: number;
  resolve: (sample: Sample) => void;
  reject: (error: Error) => void;
}

interface Reply {
  type: 'ready' | 'init-error' | 'done' | 'failed';
  id?: number;
  length?: number;
  classes?: string[];
  message?: string;
  path?: string;
  data?: Float32Array;
  shape?: [number, number, number];
  layout?: 'hwc' | 'chw';
  label?: number;
  sourceSize?: { width: number; height: number };
}

class WorkerHandle {
  readonly pending = new Map<number, Pending>();
  dead: Error | undefined;
  constructor(readonly worker: Worker) {}
}

/**
 * A `Dataset` whose `load` runs in worker threads, for transforms whose per-pixel JavaScript would otherwise
 * keep the main thread (the one training) busy. Each worker imports `module` and awaits its exported
 * `createDataset(args)`; `load(index, rng)` sends the index and `rng.getState()` to the least busy worker,
 * which loads with `Rng.fromState(state)`, so the bytes are the same as loading in-process. Pixels come back
 * as transferred buffers (no copy). Call `close()` when done (idle workers do not keep the process alive).
 */
export class WorkerDataset implements Dataset {
  readonly length: number;
  readonly classes: readonly string[];
  private readonly handles: WorkerHandle[];
  private readonly failedPaths = new Map<number, string>();
  private nextId = 0;
  private closed = false;

  private constructor(handles: WorkerHandle[], length: number, classes: readonly string[]) {
    this.handles = handles;
    this.length = length;
    this.classes = classes;
    for (const handle of handles) {
      handle.worker.unref(); // referenced again while it has loads pending
      handle.worker.on('message', (reply: Reply) => this.onReply(handle, reply));
      handle.worker.on('error', (error) => this.onDeath(handle, error));
      handle.worker.on('exit', (code) => this.onDeath(handle, new Error(`worker exited with code ${code}`)));
    }
  }

  static async create(module: string | URL, options: WorkerDatasetOptions = {}): Promise<WorkerDataset> {
    const count = options.workers ?? availableParallelism();
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`workers must be an integer >= 1, got ${count}`);
    }
    const moduleUrl =
      module instanceof URL || /^(file|data):/.test(module)
        ? String(module)
        : pathToFileURL(isAbsolute(module) ? module : resolve(module)).href;
    const entry = new URL('../worker/entry.mjs', import.meta.url);
    const handles = Array.from(
      { length: count },
      () => new WorkerHandle(new Worker(entry, { workerData: { moduleUrl, args: options.args } })),
    );
    try {
      const ready = await Promise.all(handles.map((h) => waitReady(h.worker)));
      const { length, classes } = ready[0]!;
      if (ready.some((r) => r.length !== length || r.classes.join('\n') !== classes.join('\n'))) {
        throw new Error(
          `workers built different datasets from ${moduleUrl}: createDataset must be deterministic`,
        );
      }
      return new WorkerDataset(handles, length, classes);
    } catch (error) {
      await Promise.all(handles.map((h) => h.worker.terminate()));
      throw error;
    }
  }

  describe(index: number): string {
    checkIndex(index, this.length);
    return this.failedPaths.get(index) ?? `#${index}`;
  }

  load(index: number, rng: Rng): Promise<Sample> {
    checkIndex(index, this.length);
    if (this.closed) return Promise.reject(new FatalDatasetError('WorkerDataset is closed'));
    let handle = this.handles[0]!;
    for (const h of this.handles) if (h.pending.size < handle.pending.size) handle = h;
    if (handle.dead) return Promise.reject(handle.dead);
    const id = this.nextId++;
    return new Promise<Sample>((resolve, reject) => {
      handle.pending.set(id, { index, resolve, reject });
      if (handle.pending.size === 1) handle.worker.ref();
      handle.worker.postMessage({ id, index, state: rng.getState() });
    });
  }

  /** Terminates the workers; loads still pending fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.handles.map((h) => h.worker.terminate()));
  }

  private onReply(handle: WorkerHandle, reply: Reply): void {
    const pending = reply.id === undefined ? undefined : handle.pending.get(reply.id);
    if (!pending) return;
    handle.pending.delete(reply.id!);
    if (handle.pending.size === 0) handle.worker.unref();
    if (reply.type === 'done') {
      pending.resolve({
        image: { data: reply.data!, shape: reply.shape!, layout: reply.layout! },
        label: reply.label!,
        ...(reply.sourceSize ? { sourceSize: reply.sourceSize } : {}),
      });
    } else {
      if (reply.path !== undefined) this.failedPaths.set(pending.index, reply.path);
      pending.reject(new Error(reply.message));
    }
  }

  private onDeath(handle: WorkerHandle, error: Error): void {
    if (handle.dead) return;
    handle.dead = this.closed
      ? new FatalDatasetError('WorkerDataset is closed')
      : new FatalDatasetError(`a dataset worker died: ${error.message}`, { cause: error });
    for (const pending of handle.pending.values()) pending.reject(handle.dead);
    handle.pending.clear();
  }
}

function waitReady(worker: Worker): Promise<{ length: number; classes: string[] }> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Reply) => {
      worker.off('error', onError);
      if (reply.type === 'ready') resolve({ length: reply.length!, classes: reply.classes! });
      else reject(new Error(`createDataset failed in a worker: ${reply.message}`));
    };
    const onError = (error: Error) => {
      worker.off('message', onMessage);
      reject(error);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
  });
}

/**
 * Starts `workers` threads that each build a dataset with `module`'s exported `createDataset(args)` (a path,
 * or a `file:` URL such as `new URL('./dataset.js', import.meta.url)`), and returns it as one `Dataset`.
 */
export function workerDataset(
  module: string | URL,
  options: WorkerDatasetOptions = {},
): Promise<WorkerDataset> {
  return WorkerDataset.create(module, options);
}
