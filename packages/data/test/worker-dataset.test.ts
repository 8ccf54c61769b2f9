import { describe, expect, it } from 'vitest';
import { type Batch, DataLoader, type Dataset, workerDataset } from '../src/index.js';
// @ts-expect-error plain JS module without types, shared with the worker threads
import { createDataset } from './fixtures/rng-dataset.mjs';

const fixture = new URL('./fixtures/rng-dataset.mjs', import.meta.url);

async function collect(iterable: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of iterable) out.push(batch);
  return out;
}

describe('workerDataset', () => {
  it('loads in worker threads with exactly the bytes of an in-process load', async () => {
    const args = { length: 30, failing: [4, 17] };
    const ds = await workerDataset(fixture, { workers: 2, args });
    try {
      expect([ds.length, ds.classes]).toEqual([30, ['even', 'odd']]);
      const inWorkers = new DataLoader(ds, { batchSize: 8, seed: 3, concurrency: 6 });
      const inProcess = new DataLoader(createDataset(args) as Dataset, {
        batchSize: 8,
        seed: 3,
        concurrency: 1,
      });
      const a = await collect(inWorkers.epoch(2));
      const b = await collect(inProcess.epoch(2));
      expect(a.map((x) => Array.from(x.indices))).toEqual(b.map((x) => Array.from(x.indices)));
      expect(a.map((x) => Array.from(x.images))).toEqual(b.map((x) => Array.from(x.images)));
      expect(a.map((x) => Array.from(x.labels))).toEqual(b.map((x) => Array.from(x.labels)));
      expect(a.every((x) => x.sourceSizes === undefined)).toBe(true);
      expect(inWorkers.skipped.map((s) => [s.index, s.path, s.reason]).sort()).toEqual([
        [17, 'rng-item-17', 'bad item 17'],
        [4, 'rng-item-4', 'bad item 4'],
      ]);
    } finally {
      await ds.close();
    }
  });

  it('passes each sample’s sourceSize back from the workers into the batch', async () => {
    const ds = await workerDataset(fixture, { workers: 2, args: { length: 12, sized: true } });
    try {
      const [batch] = await collect(new DataLoader(ds, { batchSize: 5, seed: 4 }).epoch(1));
      const expected = Array.from(batch!.indices).flatMap((i) => [10 + i, 20 + i]);
      expect(Array.from(batch!.sourceSizes!)).toEqual(expected);
    } finally {
      await ds.close();
    }
  });

  it('fails the epoch, rather than skipping items, when a worker dies', async () => {
    const ds = await workerDataset(fixture, { workers: 1, args: { length: 20, exitOn: 9 } });
    try {
      const loader = new DataLoader(ds, { batchSize: 4, seed: 1, shuffle: false });
      await expect(collect(loader.epoch(0))).rejects.toThrow(/a dataset worker died/);
    } finally {
      await ds.close();
    }
  });

  it('reports a module without createDataset and bad options', async () => {
    const notADataset = new URL('data:text/javascript,export const x = 1;');
    await expect(workerDataset(notADataset, { workers: 1 })).rejects.toThrow(/must export createDataset/);
    await expect(workerDataset(fixture, { workers: 0 })).rejects.toThrow(
      /workers must be an integer >= 1, got 0/,
    );
  });
});
