import { Rng } from '@bot/rng';
import { describe, expect, it } from 'vitest';
import { type Batch, DataLoader, type Dataset } from '../src/index.js';
import { DelayedDataset } from './helpers.js';

async function collect(iterable: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of iterable) out.push(batch);
  return out;
}

function flatIndices(batches: Batch[]): number[] {
  return batches.flatMap((b) => Array.from(b.indices));
}

describe('DataLoader batching and order', () => {
  it('visits every index once per epoch, in Rng.derive(seed, epoch).permutation order', async () => {
    const ds = new DelayedDataset(23, 0);
    const loader = new DataLoader(ds, { batchSize: 5, seed: 7 });
    expect(loader.batchesPerEpoch).toBe(5);
    const batches = await collect(loader.epoch(2));
    expect(batches.map((b) => b.shape[0])).toEqual([5, 5, 5, 5, 3]);
    expect(batches.map((b) => b.index)).toEqual([0, 1, 2, 3, 4]);
    expect(flatIndices(batches)).toEqual(Array.from(Rng.derive(7, 2).permutation(23)));
    for (const b of batches) {
      expect(b.shape.slice(1)).toEqual([2, 2, 1]);
      expect(b.images.length).toBe(b.shape[0] * 4);
      for (let k = 0; k < b.shape[0]; k++) {
        expect(b.images[k * 4]).toBe(b.indices[k]); // the image of item k sits at slot k
        expect(b.labels[k]).toBe(b.indices[k]! % 3);
      }
    }
  });

  it('drops the short last batch with dropLast and keeps order without shuffle', async () => {
    const loader = new DataLoader(new DelayedDataset(23, 0), {
      batchSize: 5,
      seed: 1,
      dropLast: true,
      shuffle: false,
    });
    expect(loader.batchesPerEpoch).toBe(4);
    const batches = await collect(loader.epoch(0));
    expect(batches.map((b) => b.shape[0])).toEqual([5, 5, 5, 5]);
    expect(flatIndices(batches)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('carries each sample’s sourceSize into the batch, and refuses a batch where only some have one', async () => {
    const sized = (keep: (index: number) => boolean): Dataset => ({
      length: 6,
      classes: ['a'],
      load: async (index) => ({
        image: { data: new Float32Array(2), shape: [1, 2, 1], layout: 'hwc' },
        label: 0,
        ...(keep(index) ? { sourceSize: { width: 100 + index, height: 50 + index } } : {}),
      }),
    });
    const [batch] = await collect(
      new DataLoader(
        sized(() => true),
        { batchSize: 6, seed: 2 },
      ).epoch(0),
    );
    expect(Array.from(batch!.sourceSizes!)).toEqual(
      Array.from(batch!.indices).flatMap((i) => [100 + i, 50 + i]),
    );
    const plain = await collect(new DataLoader(new DelayedDataset(4, 0), { batchSize: 4, seed: 2 }).epoch(0));
    expect(plain[0]!.sourceSizes).toBeUndefined();
    const loader = new DataLoader(
      sized((i) => i !== 3),
      { batchSize: 6, seed: 2, shuffle: false },
    );
    await expect(collect(loader.epoch(0))).rejects.toThrow(
      /samples in a batch must all carry sourceSize or none: #0 has one but #3 has none/,
    );
  });

  it('shuffles differently each epoch and identically for the same seed', async () => {
    const a = new DataLoader(new DelayedDataset(40, 0), { batchSize: 8, seed: 11 });
    const b = new DataLoader(new DelayedDataset(40, 0), { batchSize: 8, seed: 11 });
    const a0 = flatIndices(await collect(a.epoch(0)));
    const a1 = flatIndices(await collect(a.epoch(1)));
    expect(a0).not.toEqual(a1);
    expect([...a0].sort((x, y) => x - y)).toEqual([...a1].sort((x, y) => x - y));
    expect(flatIndices(await collect(b.epoch(1)))).toEqual(a1);
  });

  it('gives the same batches (order and bytes) whatever order the loads finish in', async () => {
    const sequential = await collect(
      new DataLoader(new DelayedDataset(37, 0), { batchSize: 6, seed: 5, concurrency: 1, prefetch: 0 }).epoch(
        3,
      ),
    );
    for (let trial = 0; trial < 3; trial++) {
      const ds = new DelayedDataset(37, 4);
      const parallel = await collect(new DataLoader(ds, { batchSize: 6, seed: 5, concurrency: 8 }).epoch(3));
      expect(ds.maxActive).toBeGreaterThan(1);
      expect(parallel.length).toBe(sequential.length);
      for (const [k, batch] of parallel.entries()) {
        expect(Array.from(batch.indices)).toEqual(Array.from(sequential[k]!.indices));
        expect(batch.images).toEqual(sequential[k]!.images);
        expect(batch.labels).toEqual(sequential[k]!.labels);
      }
    }
  });

  it('gives each sample the stream Rng.derive(seed, epoch, index)', async () => {
    const [batch] = await collect(
      new DataLoader(new DelayedDataset(4, 0), { batchSize: 4, seed: 9 }).epoch(6),
    );
    for (let k = 0; k < 4; k++) {
      const rng = Rng.derive(9, 6, batch!.indices[k]!);
      rng.uniform(); // slot 0 holds the index
      expect(batch!.images[k * 4 + 1]).toBe(Math.fround(rng.uniform()));
    }
  });

  it('resumes at batch k with exactly the tail of the full epoch', async () => {
    const loader = new DataLoader(new DelayedDataset(50, 2), { batchSize: 7, seed: 'resume' });
    const full = await collect(loader.epoch(4));
    for (const k of [1, 5, 7]) {
      const tail = await collect(loader.epoch(4, { startBatch: k }));
      expect(tail.map((b) => b.index)).toEqual(full.slice(k).map((b) => b.index));
      expect(tail.map((b) => Array.from(b.images))).toEqual(full.slice(k).map((b) => Array.from(b.images)));
    }
    expect(await collect(loader.epoch(4, { startBatch: 8 }))).toEqual([]);
  });
});

describe('DataLoader bounds and stopping', () => {
  it('keeps at most `concurrency` loads in flight and at most `prefetch` batches ahead', async () => {
    const ds = new DelayedDataset(60, 2);
    const loader = new DataLoader(ds, { batchSize: 4, seed: 1, concurrency: 3, prefetch: 2 });
    let consumed = 0;
    for await (const batch of loader.epoch(0)) {
      // While batch b is held, only batches up to b + prefetch may have started loading.
      expect(ds.started).toBeLessThanOrEqual((batch.index + 1 + 2) * 4);
      await new Promise((resolve) => setTimeout(resolve, 5));
      consumed++;
    }
    expect(consumed).toBe(15);
    expect(ds.maxActive).toBeLessThanOrEqual(3);
    expect(ds.maxActive).toBeGreaterThan(1);
  });

  it('stops cleanly on break: no loads outlive the loop, none start afterwards', async () => {
    const ds = new DelayedDataset(200, 5);
    const loader = new DataLoader(ds, { batchSize: 4, seed: 1, concurrency: 4, prefetch: 1 });
    for await (const batch of loader.epoch(0)) {
      if (batch.index === 1) break;
    }
    expect(ds.active).toBe(0);
    const started = ds.started;
    expect(started).toBeLessThanOrEqual((2 + 1) * 4);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ds.started).toBe(started);
  });

  it('close() ends a running epoch without another batch and refuses new epochs', async () => {
    const ds = new DelayedDataset(100, 3);
    const loader = new DataLoader(ds, { batchSize: 5, seed: 2 });
    const seen: number[] = [];
    for await (const batch of loader.epoch(0)) {
      seen.push(batch.index);
      if (batch.index === 2) await loader.close();
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(ds.active).toBe(0);
    expect(() => loader.epoch(1)).toThrow(/closed/);
  });
});

describe('DataLoader bad items and bad options', () => {
  it('skips failing items, reports them, and keeps batch boundaries', async () => {
    const failing = new Set([3, 10, 11]);
    const reported: string[] = [];
    const loader = new DataLoader(new DelayedDataset(16, 1, failing), {
      batchSize: 4,
      seed: 3,
      shuffle: false,
      onSkip: (item) => reported.push(item.path),
    });
    const batches = await collect(loader.epoch(0));
    expect(batches.map((b) => Array.from(b.indices))).toEqual([
      [0, 1, 2],
      [4, 5, 6, 7],
      [8, 9],
      [12, 13, 14, 15],
    ]);
    expect(loader.skipped.map((s) => [s.index, s.path, s.reason])).toEqual([
      [3, 'item-3', 'broken item 3'],
      [10, 'item-10', 'broken item 10'],
      [11, 'item-11', 'broken item 11'],
    ]);
    await collect(loader.epoch(1));
    expect(loader.skipCount).toBe(6);
    expect(loader.skipped.length).toBe(3);
    expect(reported.length).toBe(6);
  });

  it('does not yield a batch whose items all fail, once something has loaded', async () => {
    const loader = new DataLoader(new DelayedDataset(12, 0, new Set([4, 5, 6, 7])), {
      batchSize: 4,
      seed: 1,
      shuffle: false,
    });
    const batches = await collect(loader.epoch(0));
    expect(batches.map((b) => b.index)).toEqual([0, 2]);
  });

  it('throws when every item of the first batch fails (a broken transform, not bad files)', async () => {
    const all = new Set(Array.from({ length: 8 }, (_, i) => i));
    const loader = new DataLoader(new DelayedDataset(8, 0, all), { batchSize: 4, seed: 1 });
    await expect(collect(loader.epoch(0))).rejects.toThrow(/every item of batch 0 failed.*broken item/);
  });

  it('throws when images in a batch differ in shape', async () => {
    const ds = new DelayedDataset(4, 0);
    const odd = {
      length: 4,
      classes: ds.classes,
      load: async (i: number, rng: Rng) => {
        const s = await ds.load(i, rng);
        return i === 2 ? { ...s, image: { data: new Float32Array(9), shape: [3, 3, 1], layout: 'hwc' } } : s;
      },
    } as typeof ds;
    const loader = new DataLoader(odd, { batchSize: 4, seed: 1, shuffle: false });
    await expect(collect(loader.epoch(0))).rejects.toThrow(/must share shape/);
  });

  it('rejects bad options with a RangeError naming them', () => {
    const ds = new DelayedDataset(10, 0);
    expect(() => new DataLoader(ds, { batchSize: 0, seed: 1 })).toThrow(
      /batchSize must be an integer >= 1, got 0/,
    );
    expect(() => new DataLoader(ds, { batchSize: 2.5, seed: 1 })).toThrow(RangeError);
    expect(() => new DataLoader(ds, { batchSize: 2, seed: 1, concurrency: 0 })).toThrow(/concurrency/);
    expect(() => new DataLoader(ds, { batchSize: 2, seed: 1, prefetch: -1 })).toThrow(/prefetch/);
    expect(() => new DataLoader(ds, { batchSize: 2, seed: 1.5 })).toThrow(/seed/);
    expect(() => new DataLoader(ds, { batchSize: 11, seed: 1, dropLast: true })).toThrow(/batchSize/);
    const loader = new DataLoader(ds, { batchSize: 3, seed: 1 });
    expect(() => loader.epoch(-1)).toThrow(/epoch must be an integer >= 0, got -1/);
    expect(() => loader.epoch(0, { startBatch: 5 })).toThrow(/startBatch must be in \[0, 4\], got 5/);
  });
});
