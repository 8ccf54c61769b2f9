import { availableParallelism } from 'node:os';
import { Rng, type Seed } from '@bot/rng';
import type { Dataset, Sample } from './dataset.js';

/** A batch of samples, images stacked in the items' layout: NHWC for `hwc` images. */
export interface Batch {
  /** The N images back to back, `shape` = [N, ...the image shape]. */
  images: Float32Array;
  shape: [number, number, number, number];
  layout: 'hwc' | 'chw';
  labels: Int32Array;
  /** The dataset index of each image. */
  indices: Uint32Array;
  /** Each image's `sourceSize` as [width, height] pairs, when the dataset's samples carry one. */
  sourceSizes?: Uint32Array;
  epoch: number;
  /** The batch's position in the epoch, 0 to `batchesPerEpoch - 1`. */
  index: number;
}

/** An item the loader passed over because `dataset.load` threw. */
export interface SkippedItem {
  index: number;
  /** `dataset.describe(index)` (the file path for an ImageFolder), else `#<index>`. */
  path: string;
  reason: string;
  epoch: number;
}

export interface DataLoaderOptions {
  batchSize: number;
  /** Seeds the per-epoch order and every sample's augmentation stream. */
  seed: Seed;
  /** Shuffle each epoch with `Rng.derive(seed, epoch).permutation(n)`. Default true. */
  shuffle?: boolean;
  /** Drop a last batch that would be shorter than `batchSize`. Default false. */
  dropLast?: boolean;
  /** How many `dataset.load` calls run at once. Default 2 x the available cores (at least 4). */
  concurrency?: number;
  /** How many batches beyond the one being waited for may be loaded ahead. Default 2. */
  prefetch?: number;
  /** Called once per skipped item per epoch, e.g. to log it. */
  onSkip?: (item: SkippedItem) => void;
}

type Result = { ok: true; sample: Sample } | { ok: false; error: unknown };

function checkInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/**
 * Batches a `Dataset` for training: a seeded per-epoch shuffle, `concurrency` loads in flight, up to
 * `prefetch` batches loaded ahead, and results placed by position, so a batch's order and bytes do not
 * depend on which load finishes first. Batch k of epoch e holds the items at positions [k*B, (k+1)*B) of
 * epoch e's order, so `epoch(e, { startBatch: k })` resumes exactly.
 *
 * An item whose `load` throws is skipped, counted and reported (`skipped`, `onSkip`), and its batch is
 * that much smaller (batch boundaries never move, which keeps resume exact); a batch whose items all fail
 * is not yielded. If every item of the first batch fails before anything has loaded, the loader throws
 * instead: that is a broken transform or dataset, not a few bad files.
 */
export class DataLoader {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly seed: Seed;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly concurrency: number;
  readonly prefetch: number;
  /** Each skipped item, once (the first time it failed). */
  readonly skipped: SkippedItem[] = [];
  /** Skips counted over all epochs (an item that fails every epoch counts every epoch). */
  skipCount = 0;
  private readonly onSkip: ((item: SkippedItem) => void) | undefined;
  private readonly skippedIndices = new Set<number>();
  private readonly runs = new Set<EpochRun>();
  private loadedCount = 0;
  private closed = false;

  constructor(dataset: Dataset, options: DataLoaderOptions) {
    if (!dataset || typeof dataset.load !== 'function' || !Number.isInteger(dataset.length)) {
      throw new TypeError('dataset must implement { length, classes, load(index, rng) }');
    }
    if (dataset.length < 1) throw new RangeError(`dataset.length must be >= 1, got ${dataset.length}`);
    this.dataset = dataset;
    this.batchSize = checkInteger('batchSize', options?.batchSize, 1);
    if (options.seed === undefined)
      throw new RangeError('seed must be an integer or a string, got undefined');
    Rng.from(options.seed); // validates
    this.seed = options.seed;
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? false;
    this.concurrency = checkInteger(
      'concurrency',
      options.concurrency ?? Math.max(4, 2 * availableParallelism()),
      1,
    );
    this.prefetch = checkInteger('prefetch', options.prefetch ?? 2, 0);
    this.onSkip = options.onSkip;
    if (this.dropLast && dataset.length < this.batchSize) {
      throw new RangeError(
        `batchSize must be <= dataset.length (${dataset.length}) with dropLast, got ${this.batchSize}`,
      );
    }
  }

  get batchesPerEpoch(): number {
    const n = this.dataset.length / this.batchSize;
    return this.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** The dataset indices of epoch `epoch` in visiting order. */
  order(epoch: number): Uint32Array {
    checkInteger('epoch', epoch, 0);
    if (!this.shuffle) return Uint32Array.from({ length: this.dataset.length }, (_, i) => i);
    return Rng.derive(this.seed, epoch).permutation(this.dataset.length);
  }

  /**
   * The batches of one epoch, from `startBatch` (default 0) on. Breaking out of the `for await` stops
   * scheduling loads and waits for the ones in flight, so no work of the epoch outlives the loop.
   */
  epoch(epoch: number, options: { startBatch?: number } = {}): AsyncIterable<Batch> {
    checkInteger('epoch', epoch, 0);
    const startBatch = checkInteger('startBatch', options.startBatch ?? 0, 0);
    if (startBatch > this.batchesPerEpoch) {
      throw new RangeError(`startBatch must be in [0, ${this.batchesPerEpoch}], got ${startBatch}`);
    }
    if (this.closed) throw new Error('DataLoader is closed');
    return { [Symbol.asyncIterator]: () => this.iterate(epoch, startBatch) };
  }

  /** Stops every running epoch (their loops end without another batch) and waits for loads in flight. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.runs].map((run) => run.stop()));
  }

  private async *iterate(epoch: number, startBatch: number): AsyncGenerator<Batch> {
    if (this.closed) return;
    const order = this.order(epoch);
    const end = this.dropLast ? this.batchesPerEpoch * this.batchSize : order.length;
    const run = new EpochRun(
      (index) => this.dataset.load(index, Rng.derive(this.seed, epoch, index)),
      order,
      startBatch * this.batchSize,
      end,
      this.concurrency,
    );
    this.runs.add(run);
    try {
      for (let b = startBatch; b < this.batchesPerEpoch; b++) {
        const from = b * this.batchSize;
        const to = Math.min(end, from + this.batchSize);
        run.setLimit(Math.min(end, to + this.prefetch * this.batchSize));
        const results = await run.take(from, to);
        if (!results) return;
        const batch = this.assemble(epoch, b, order.subarray(from, to), results);
        if (batch) yield batch;
      }
    } finally {
      this.runs.delete(run);
      await run.stop();
    }
  }

  private assemble(epoch: number, batchIndex: number, indices: Uint32Array, results: Result[]): Batch | null {
    const good: { index: number; sample: Sample }[] = [];
    let firstError: unknown;
    for (const [k, result] of results.entries()) {
      const index = indices[k]!;
      if (result.ok) {
        good.push({ index, sample: result.sample });
        continue;
      }
      if ((result.error as { fatal?: unknown } | null)?.fatal === true) throw result.error;
      firstError ??= result.error;
      this.skip(index, epoch, result.error);
    }
    if (good.length === 0) {
      if (this.loadedCount === 0) {
        const message = firstError instanceof Error ? firstError.message : String(firstError);
        throw new Error(
          `every item of batch ${batchIndex} failed to load and none has loaded yet; first error: ${message}`,
          { cause: firstError },
        );
      }
      return null;
    }
    this.loadedCount += good.length;

    const first = good[0]!.sample.image;
    const itemSize = first.shape[0] * first.shape[1] * first.shape[2];
    const images = new Float32Array(good.length * itemSize);
    const labels = new Int32Array(good.length);
    const batchIndices = new Uint32Array(good.length);
    const sourceSizes = good[0]!.sample.sourceSize ? new Uint32Array(2 * good.length) : undefined;
    for (const [k, { index, sample }] of good.entries()) {
      const { image } = sample;
      if (
        image.layout !== first.layout ||
        image.shape.some((d, i) => d !== first.shape[i]) ||
        image.data.length !== itemSize
      ) {
        throw new Error(
          `images in a batch must share shape and layout: ${this.describe(good[0]!.index)} is ` +
            `${first.layout} [${first.shape}] but ${this.describe(index)} is ${image.layout} [${image.shape}] ` +
            `(${image.data.length} values); give the dataset a transform or size that fixes the shape`,
        );
      }
      if (sourceSizes) {
        const size = sample.sourceSize;
        if (!size) {
          throw new Error(
            `samples in a batch must all carry sourceSize or none: ${this.describe(good[0]!.index)} has one but ${this.describe(index)} has none`,
          );
        }
        sourceSizes[2 * k] = size.width;
        sourceSizes[2 * k + 1] = size.height;
      }
      images.set(image.data, k * itemSize);
      labels[k] = sample.label;
      batchIndices[k] = index;
    }
    return {
      images,
      shape: [good.length, first.shape[0], first.shape[1], first.shape[2]],
      layout: first.layout,
      labels,
      indices: batchIndices,
      ...(sourceSizes ? { sourceSizes } : {}),
      epoch,
      index: batchIndex,
    };
  }

  private describe(index: number): string {
    try {
      return this.dataset.describe?.(index) ?? `#${index}`;
    } catch {
      return `#${index}`;
    }
  }

  private skip(index: number, epoch: number, error: unknown): void {
    const item: SkippedItem = {
      index,
      path: this.describe(index),
      reason: error instanceof Error ? error.message : String(error),
      epoch,
    };
    this.skipCount++;
    if (!this.skippedIndices.has(index)) {
      this.skippedIndices.add(index);
      this.skipped.push(item);
    }
    this.onSkip?.(item);
  }
}

/** The loads of one epoch: positions launched in order, at most `concurrency` at once, up to a limit. */
class EpochRun {
  private readonly results = new Map<number, Result>();
  private readonly inFlight = new Set<Promise<void>>();
  private next: number;
  private limit: number;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly load: (index: number) => Promise<Sample>,
    private readonly order: Uint32Array,
    start: number,
    private readonly end: number,
    private readonly concurrency: number,
  ) {
    this.next = start;
    this.limit = start;
  }

  setLimit(limit: number): void {
    this.limit = Math.max(this.limit, Math.min(limit, this.end));
    this.pump();
  }

  /** The results of positions [from, to) in order, or null once stopped. Frees them from the run. */
  async take(from: number, to: number): Promise<Result[] | null> {
    for (;;) {
      if (this.stopped) return null;
      let ready = true;
      for (let p = from; p < to && ready; p++) ready = this.results.has(p);
      if (ready) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    const out: Result[] = [];
    for (let p = from; p < to; p++) {
      out.push(this.results.get(p)!);
      this.results.delete(p);
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.results.clear();
    this.notify();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private pump(): void {
    while (!this.stopped && this.inFlight.size < this.concurrency && this.next < this.limit) {
      const position = this.next++;
      const task = this.run(position);
      this.inFlight.add(task);
      void task.finally(() => {
        this.inFlight.delete(task);
        this.pump();
        this.notify();
      });
    }
  }

  private async run(position: number): Promise<void> {
    let result: Result;
    try {
      result = { ok: true, sample: await this.load(this.order[position]!) };
    } catch (error) {
      result = { ok: false, error };
    }
    if (!this.stopped) this.results.set(position, result);
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
