import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/atomic-write.js';
import { encodeCheckpoint, readCheckpoint, restoreState } from '../src/checkpoint.js';
import { tempDir, tinyConfig } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temporary file', async () => {
    const dir = tempDir('atomic');
    const path = join(dir, 'a.bin');
    await writeFileAtomic(path, 'first');
    await writeFileAtomic(path, 'second');
    expect(readFileSync(path, 'utf8')).toBe('second');
    expect(readdirSync(dir)).toEqual(['a.bin']);
  });

  it('on a full disk mid-write: a clear error, the old file untouched, the partial temp file removed', async () => {
    const dir = tempDir('atomic');
    const path = join(dir, 'a.bin');
    writeFileSync(path, 'previous checkpoint');
    const halfThenFull = async (handle: import('node:fs/promises').FileHandle, data: Uint8Array) => {
      await handle.write(data.subarray(0, data.length >> 1));
      throw enospc();
    };
    await expect(writeFileAtomic(path, 'x'.repeat(1000), halfThenFull)).rejects.toThrow(
      /could not save .*a\.bin: the disk is full; the previous file, if any, is unchanged/,
    );
    expect(readFileSync(path, 'utf8')).toBe('previous checkpoint');
    expect(readdirSync(dir)).toEqual(['a.bin']);
  });
});

describe('checkpoint file', () => {
  it('is a safetensors file whose header an independent parser reads, and round-trips state and weights', async () => {
    const a = tf.variable(tf.tensor2d([[1, 2, 3]]), true, 'layer/kernel_7');
    const b = tf.variable(tf.tensor1d([0.5, -0.25]), true, 'layer/bias_7');
    const buffer = new Float32Array([0.1, 0.2, 0.3]);
    const config = tinyConfig(tempDir('ckpt'));
    const bytes = await encodeCheckpoint([a, b], {
      config,
      numClasses: 3,
      inputChannels: 3,
      epoch: 1,
      batchInEpoch: 2,
      step: 7,
      optimizer: { iterations: 7, buffers: [{ name: 'layer/kernel_7', shape: [1, 3], data: buffer }] },
      lossScaler: { scale: 1024 },
      rng: { algorithm: 'xoshiro128**', words: [1, 2, 3, 4] },
      elapsedSeconds: 3.5,
      epochTotals: { lossSum: 1, batches: 2, images: 8, seconds: 1 },
    });
    // The format by hand: u64 little-endian header length, JSON header, data.
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header['model/0000/layer/kernel']).toMatchObject({ dtype: 'F32', shape: [1, 3] });
    const [begin] = header['model/0001/layer/bias'].data_offsets;
    const biasBytes = bytes.slice(8 + headerLength + begin, 8 + headerLength + begin + 8);
    expect(Array.from(new Float32Array(biasBytes.buffer))).toEqual([0.5, -0.25]);

    const dir = tempDir('ckpt');
    const path = join(dir, 'last.ckpt');
    await writeFileAtomic(path, bytes);
    const loaded = await readCheckpoint(path);
    expect(loaded.state).toMatchObject({
      epoch: 1,
      batchInEpoch: 2,
      step: 7,
      elapsedSeconds: 3.5,
      numClasses: 3,
    });
    expect(loaded.state.config).toEqual(config);
    expect(loaded.weights.map((w) => Array.from(w.data))).toEqual([
      [1, 2, 3],
      [0.5, -0.25],
    ]);
    // Variable names are stored by position, so a model rebuilt with other tfjs suffixes gets its buffers.
    const optimizer = restoreState(
      loaded.state.optimizer,
      ['layer/kernel_9', 'layer/bias_9'],
      loaded.raw.tensors,
    ) as {
      buffers: { name: string; data: Float32Array }[];
    };
    expect(optimizer.buffers[0]!.name).toBe('layer/kernel_9');
    expect(optimizer.buffers[0]!.data).toEqual(buffer);
    tf.dispose([a, b]);
  });

  it('says so when a file is not a checkpoint or is truncated', async () => {
    const dir = tempDir('ckpt');
    const path = join(dir, 'bad.ckpt');
    writeFileSync(path, 'hello');
    await expect(readCheckpoint(path)).rejects.toThrow(/checkpoint .*bad\.ckpt is damaged/);
    await expect(readCheckpoint(join(dir, 'missing.ckpt'))).rejects.toThrow(/cannot read checkpoint/);
    expect(existsSync(path)).toBe(true);
  });
});
