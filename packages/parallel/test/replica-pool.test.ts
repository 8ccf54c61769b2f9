import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createReplicaPool, type ReplicaPool } from '../src/index.js';

const module = new URL('./fixtures/small-replica.mjs', import.meta.url);
const options = { channels: 2, classes: 3, seed: 5 };

function batchOf(n: number) {
  const shape: [number, number, number, number] = [n, 6, 5, 2];
  const images = new Float32Array(n * 6 * 5 * 2);
  for (let i = 0; i < images.length; i++) images[i] = Math.sin(i * 0.37) + 0.1 * Math.cos(i * 1.3);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 2) % 3);
  return { images, shape, labels };
}

const pools: ReplicaPool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe('createReplicaPool', () => {
  it("reports why its workers took their backend: @bot/backend's reason, with the wasm GEMM path the environment chose", async () => {
    const saved = process.env.BOT_WASM_FMA;
    try {
      // A worker's environment is a copy of the parent's when the pool starts it.
      process.env.BOT_WASM_FMA = '0';
      const xnnpack = await createReplicaPool({ module, replicas: 1, options, backend: 'wasm' });
      delete process.env.BOT_WASM_FMA;
      const auto = await createReplicaPool({ module, replicas: 1, options, backend: 'wasm' });
      pools.push(xnnpack, auto);
      expect(xnnpack.backendReason).toContain('convolution GEMMs on XNNPACK (BOT_WASM_FMA=0)');
      expect(auto.backendReason).toContain('microkernels with FMA');
    } finally {
      if (saved === undefined) delete process.env.BOT_WASM_FMA;
      else process.env.BOT_WASM_FMA = saved;
    }
  });

  it('2 replicas on half batches take the same step as 1 replica on the whole batch (no batch norm)', async () => {
    const single = await createReplicaPool({ module, replicas: 1, options, backend: 'wasm' });
    const pair = await createReplicaPool({ module, replicas: 2, options, backend: 'wasm' });
    pools.push(single, pair);
    expect(pair.backend).toBe('wasm');
    const before = await single.getWeights();
    // Replica 1's own initialisation differs (its seed is offset); the pool must overwrite it.
    const pairBefore = await pair.getWeights();
    for (const [name, values] of before) expect(pairBefore.get(name)).toEqual(values);

    for (const n of [5, 4]) {
      const batch = batchOf(n);
      const a = await single.step(batch);
      // A batch whose images are a tensor (augmented on the backend, say) is read back and sharded alike.
      const images = tf.tensor4d(batch.images, batch.shape);
      const b = await pair.step({ ...batch, images });
      expect(images.isDisposed).toBe(false);
      images.dispose();
      expect(b.replicaMs).toHaveLength(2);
      expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
    }
    const after1 = await single.getWeights();
    const after2 = await pair.getWeights();
    let moved = 0;
    for (const [name, values] of after1) {
      const other = after2.get(name) as Float32Array;
      const start = before.get(name) as Float32Array;
      for (let i = 0; i < values.length; i++) {
        expect(Math.abs((values[i] as number) - (other[i] as number))).toBeLessThan(1e-5);
        moved = Math.max(moved, Math.abs((values[i] as number) - (start[i] as number)));
      }
    }
    expect(moved).toBeGreaterThan(1e-3);
  }, 60_000);

  it('accumulates micro-batches to the same mean gradient as one pass', async () => {
    const whole = await createReplicaPool({ module, replicas: 1, options, backend: 'wasm' });
    const micro = await createReplicaPool({ module, replicas: 2, options, backend: 'wasm', microBatch: 2 });
    pools.push(whole, micro);
    const batch = batchOf(7);
    const a = await whole.step(batch);
    const b = await micro.step(batch);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
    const wa = await whole.getWeights();
    const wb = await micro.getWeights();
    for (const [name, values] of wa) {
      const other = wb.get(name) as Float32Array;
      for (let i = 0; i < values.length; i++)
        expect(Math.abs((values[i] as number) - (other[i] as number))).toBeLessThan(1e-5);
    }
  }, 60_000);

  it('splits soft targets with the images, and reads and restores replica state', async () => {
    const single = await createReplicaPool({ module, replicas: 1, options, backend: 'wasm' });
    const pair = await createReplicaPool({ module, replicas: 2, options, backend: 'wasm' });
    pools.push(single, pair);
    const start = (await single.getState()) as { values: Float32Array[]; replica: number };
    expect(start.replica).toBe(0);
    const batch = batchOf(5);
    // Mixup-like rows: each image's target mixes its label with the next image's.
    const targets = new Float32Array(5 * 3);
    batch.labels.forEach((label, i) => {
      const next = batch.labels[(i + 1) % 5] as number;
      targets[i * 3 + label] = (targets[i * 3 + label] as number) + 0.7;
      targets[i * 3 + next] = (targets[i * 3 + next] as number) + 0.3;
    });
    const a = await single.step({ ...batch, targets });
    const b = await pair.step({ ...batch, targets });
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
    const hard = await createReplicaPool({ module, replicas: 1, options, backend: 'wasm' });
    pools.push(hard);
    const c = await hard.step(batch);
    expect(Math.abs(c.loss - a.loss)).toBeGreaterThan(1e-3); // the targets were used, not the labels

    // Put both pools back to the start (every replica of the pair), then the same step again.
    await single.setState(start);
    await pair.setState(start);
    for (const [name, values] of await pair.getWeights()) {
      const i = [...(await single.getWeights()).keys()].indexOf(name);
      expect(values).toEqual(start.values[i]);
    }
    const a2 = await single.step({ ...batch, targets });
    const b2 = await pair.step({ ...batch, targets });
    expect(a2.loss).toBe(a.loss);
    expect(b2.loss).toBe(b.loss);
    const wa = await single.getWeights();
    for (const [name, values] of await pair.getWeights()) {
      const other = wa.get(name) as Float32Array;
      for (let i = 0; i < values.length; i++)
        expect(Math.abs((values[i] as number) - (other[i] as number))).toBeLessThan(1e-5);
    }
    await expect(pair.step({ ...batch, targets: new Float32Array(7) })).rejects.toThrow(
      /batch.targets has 7 values, not a multiple of the 5 images/,
    );
  }, 60_000);

  it('FP16 with a loss scaler: 2 replicas take the step 1 replica takes, and an inf in one shard skips it in both', async () => {
    const fp16 = { ...options, fp16: true };
    const single = await createReplicaPool({ module, replicas: 1, options: fp16, backend: 'wasm' });
    const pair = await createReplicaPool({ module, replicas: 2, options: fp16, backend: 'wasm' });
    pools.push(single, pair);
    const batch = batchOf(6);
    const a = await single.step(batch);
    const b = await pair.step(batch);
    expect(a.stepped && b.stepped).toBe(true);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4);
    const wa = await single.getWeights();
    for (const [name, values] of await pair.getWeights()) {
      const other = wa.get(name) as Float32Array;
      for (let i = 0; i < values.length; i++)
        expect(Math.abs((values[i] as number) - (other[i] as number))).toBeLessThan(1e-4);
    }
    const before = await pair.getWeights();
    // A NaN in the last image (replica 1's shard): every replica skips the update and backs off.
    const bad = {
      ...batch,
      images: batch.images.map((x, i) => (i === batch.images.length - 1 ? Number.NaN : x)),
    };
    const skipped = await pair.step(bad);
    expect(skipped.stepped).toBe(false);
    expect(await pair.getWeights()).toEqual(before);
    const state = (await pair.getState()) as {
      lossScaler: { scale: number; skippedSteps: number };
      backend: string;
    };
    expect(state.lossScaler).toMatchObject({ scale: 128, skippedSteps: 1 });
    expect(state.backend).toBe('wasm');
  }, 60_000);

  it('rejects a bad replica count and a malformed batch', async () => {
    await expect(createReplicaPool({ module, replicas: 0 })).rejects.toThrow(
      /replicas must be an integer >= 1, got 0/,
    );
    await expect(createReplicaPool({ module, microBatch: 0.5 })).rejects.toThrow(
      /microBatch must be an integer >= 1/,
    );
    const pool = await createReplicaPool({ module, replicas: 1, options, backend: 'wasm' });
    pools.push(pool);
    const batch = batchOf(2);
    await expect(pool.step({ ...batch, labels: new Int32Array(3) })).rejects.toThrow(RangeError);
  }, 60_000);
});
