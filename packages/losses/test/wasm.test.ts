import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { crossEntropy, smoothTargets } from '../src/index.js';

interface Case {
  name: string;
  logits: number[][];
  labels: number[] | null;
  labelSmoothing: number;
  mean: number;
}
const { cases } = JSON.parse(
  readFileSync(new URL('./fixtures/cross-entropy.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('on the wasm backend', () => {
  it('integer labels give PyTorch values (its OneHot kernel ignores a float32 dtype)', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const withLabels = cases.filter((c) => c.labels !== null && Number.isFinite(c.mean));
    expect(withLabels.length).toBeGreaterThan(0);
    for (const c of withLabels) {
      const loss = crossEntropy(tf.tensor2d(c.logits), tf.tensor1d(c.labels as number[], 'int32'), {
        labelSmoothing: c.labelSmoothing,
      });
      const value = loss.dataSync()[0] as number;
      // float32 relative precision: the 1e4-logit case sits near 1667.
      expect(Math.abs(value - c.mean), c.name).toBeLessThan(1e-5 * Math.max(1, Math.abs(c.mean)));
      loss.dispose();
    }
    const targets = smoothTargets(tf.tensor1d([2, 0], 'int32'), 3, 0, 'uniform');
    expect(Array.from(targets.dataSync())).toEqual([0, 0, 1, 1, 0, 0]);
  });
});
