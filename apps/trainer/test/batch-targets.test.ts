import { readFileSync } from 'node:fs';
import { Rng } from '@bot/rng';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mixesIn, stepBatch } from '../src/batch-targets.js';
import type { Batch } from '../src/integrations/data.js';
import { train } from '../src/train.js';
import { tempDir, tinyConfig } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function batchOf(n: number, size = 8): Batch {
  return {
    images: Float32Array.from({ length: n * size * size * 3 }, (_, i) => i % 251),
    shape: [n, size, size, 3],
    layout: 'hwc',
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    indices: Uint32Array.from({ length: n }, (_, i) => i),
    epoch: 0,
    index: 0,
  };
}

describe('the batch the step takes', () => {
  it('one-hot rows without mixing; mixup, cutmix, or one of them per batch when both are on', () => {
    const config = tinyConfig(tempDir('targets'), { mixupAlpha: 0, cutmixAlpha: 0 });
    const plain = stepBatch(batchOf(4), 3, config, false, Rng.from(1));
    expect(Array.from(plain.targets!)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0]);
    const rowSums = (t: Float32Array) =>
      Array.from({ length: t.length / 3 }, (_, i) => t[3 * i]! + t[3 * i + 1]! + t[3 * i + 2]!);
    const cut = stepBatch(batchOf(4), 3, { ...config, cutmixAlpha: 1 }, true, Rng.from(2));
    for (const s of rowSums(cut.targets!)) expect(s).toBeCloseTo(1, 6);
    // CutMix pastes a box: every pixel is its own image's or its partner's, unchanged.
    const source = batchOf(4).images;
    const per = 8 * 8 * 3;
    for (let i = 0; i < cut.images.length; i++) {
      const partner = (3 - Math.floor(i / per)) * per + (i % per);
      expect([source[i], source[partner]]).toContain(cut.images[i]);
    }
    const both = { ...config, cutmixAlpha: 1, mixupAlpha: 0.2 };
    const kinds = new Set(
      Array.from({ length: 12 }, (_, seed) => {
        const out = stepBatch(batchOf(4), 3, both, true, Rng.from(seed));
        return out.images.every(
          (v, i) => v === source[i] || v === source[(3 - Math.floor(i / per)) * per + (i % per)],
        )
          ? 'cutmix'
          : 'mixup';
      }),
    );
    expect([...kinds].sort()).toEqual(['cutmix', 'mixup']);
    expect(mixesIn({ ...config, cutmixAlpha: 1, epochs: 3, mixupOffEpochs: 1 }, 1)).toBe(true);
    expect(mixesIn({ ...config, cutmixAlpha: 1, epochs: 3, mixupOffEpochs: 1 }, 2)).toBe(false);
  });

  it('a run trains with --cutmix and --mixup together, and with --clip-grad', async () => {
    const dir = tempDir('cutmix-run');
    const result = await train(
      tinyConfig(dir, { epochs: 1, cutmixAlpha: 1, mixupAlpha: 0.2, mixupOffEpochs: 0, clipGrad: 1 }),
      { write: () => undefined, tty: false },
    );
    expect(Number.isFinite(result.epochs[0]!.trainLoss)).toBe(true);
    expect(readFileSync(result.report, 'utf8')).toMatch(/cutmix 1, .*gradient clipping 1/);
    result.model.dispose();
  }, 60_000);
});
