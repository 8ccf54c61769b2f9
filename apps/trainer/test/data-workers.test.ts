import { join } from 'node:path';
import { Rng } from '@bot/rng';
import { describe, expect, it } from 'vitest';
import { openData } from '../src/integrations/data.js';
import { DEVICE_BACKENDS, trainingSetInWorkers } from '../src/integrations/data-workers.js';
import { tempDir, tinyConfig } from './helpers.js';

describe('the training set in worker threads (GPU backends)', () => {
  it('gives the bytes the main thread would, for the same per-sample streams', async () => {
    expect([...DEVICE_BACKENDS].sort()).toEqual(['tensorflow-gpu', 'webgl', 'webgpu']);
    const dir = tempDir('data-workers');
    const config = tinyConfig(dir, { workers: 2 });
    const cacheDir = join(dir, '.cache');
    const local = (await openData(config, cacheDir)).train;
    const remote = await trainingSetInWorkers(config, cacheDir);
    try {
      expect([remote.length, [...remote.classes]]).toEqual([local.length, [...local.classes]]);
      for (const index of [0, 5, local.length - 1]) {
        const a = await local.load(index, Rng.derive(config.seed, 1, index));
        const b = await remote.load(index, Rng.derive(config.seed, 1, index));
        expect(b.label).toBe(a.label);
        expect(Buffer.from(b.image.data.buffer).equals(Buffer.from(a.image.data.buffer))).toBe(true);
      }
    } finally {
      await remote.close();
    }
  }, 60_000);
});
