import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  resnet,
  type SafetensorsEntry,
  toSafetensors,
} from '../src/index.js';
import { entryToFloat32 } from '../src/safetensors.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const fixtureBytes = () =>
  new Uint8Array(readFileSync(join(import.meta.dirname, 'fixtures', 'r18b-imagenet-32.safetensors')));
const fixtureConfig = { depth: 18, variant: 'B', width: 1 / 16, numClasses: 10, inputSize: 32 } as const;

function u16(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (const [i, v] of values.entries()) view.setUint16(2 * i, v, true);
  return out;
}

describe('safetensors container', () => {
  it('round-trips tensors and metadata, with an 8-byte aligned data section', () => {
    const f32: SafetensorsEntry = {
      dtype: 'F32',
      shape: [2, 3],
      bytes: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, -6.5]).buffer),
    };
    const i64: SafetensorsEntry = { dtype: 'I64', shape: [], bytes: new Uint8Array(8) };
    const bytes = encodeSafetensors(
      [
        ['a.weight', f32],
        ['a.num_batches_tracked', i64],
      ],
      { format: 'pt' },
    );
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header['a.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['a.num_batches_tracked']).toEqual({ dtype: 'I64', shape: [], data_offsets: [24, 32] });
    const decoded = decodeSafetensors(bytes);
    expect(decoded.metadata).toEqual({ format: 'pt' });
    expect(
      Array.from(entryToFloat32('a.weight', decoded.tensors.get('a.weight') as SafetensorsEntry)),
    ).toEqual([1, 2, 3, 4, 5, -6.5]);
  });

  it('converts F16, BF16 and F64 to float32', () => {
    const f16 = entryToFloat32('h', {
      dtype: 'F16',
      shape: [6],
      bytes: u16([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x3555]),
    });
    expect(Array.from(f16)).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      Number.POSITIVE_INFINITY,
      Math.fround(0.333251953125),
    ]);
    const bf16 = entryToFloat32('b', { dtype: 'BF16', shape: [3], bytes: u16([0x3f80, 0x4049, 0xbf00]) });
    expect(Array.from(bf16)).toEqual([1, 3.140625, -0.5]);
    const f64 = entryToFloat32('d', {
      dtype: 'F64',
      shape: [2],
      bytes: new Uint8Array(new Float64Array([0.1, -3]).buffer),
    });
    expect(Array.from(f64)).toEqual([Math.fround(0.1), -3]);
    expect(() => entryToFloat32('n', { dtype: 'I64', shape: [], bytes: new Uint8Array(8) })).toThrow(
      /'n' must be F32/,
    );
  });

  it('rejects offsets that do not fit the bytes', () => {
    const bytes = encodeSafetensors([['x', { dtype: 'F32', shape: [2], bytes: new Uint8Array(8) }]]);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4))).toThrow(/tensor 'x': data_offsets/);
  });
});

describe('toSafetensors / loadSafetensors', () => {
  it('writes conv kernels OIHW and the classifier [out, in], as PyTorch stores them', () => {
    const config = { depth: 18, variant: 'A', width: 1 / 16, numClasses: 3, inputSize: 17, seed: 1 } as const;
    const model = resnet(config);
    const file = decodeSafetensors(toSafetensors(model, config));
    const hwio = model.getLayer('conv1').getWeights()[0] as tf.Tensor; // [7, 7, 3, 4]
    const oihw = entryToFloat32('conv1.weight', file.tensors.get('conv1.weight') as SafetensorsEntry);
    expect(file.tensors.get('conv1.weight')?.shape).toEqual([4, 3, 7, 7]);
    const h = hwio.arraySync() as number[][][][];
    for (const [o, i, y, x] of [
      [0, 0, 0, 0],
      [3, 2, 6, 1],
      [1, 2, 3, 5],
    ] as const) {
      expect(oihw[((o * 3 + i) * 7 + y) * 7 + x]).toBe(h[y]?.[x]?.[i]?.[o]);
    }
    const kernel = model.getLayer('fc').getWeights()[0]?.arraySync() as number[][]; // [32, 3]
    const fc = entryToFloat32('fc.weight', file.tensors.get('fc.weight') as SafetensorsEntry);
    expect(file.tensors.get('fc.weight')?.shape).toEqual([3, 32]);
    expect(fc[2 * 32 + 17]).toBe(kernel[17]?.[2]);
    expect(file.tensors.get('bn1.num_batches_tracked')).toMatchObject({ dtype: 'I64', shape: [] });
    expect(JSON.parse(file.metadata['bot.resnet_config'] as string)).toMatchObject({
      depth: 18,
      variant: 'A',
    });
    model.dispose();
  });

  it('round-trips every weight and running statistic exactly', () => {
    const config = { depth: 50, variant: 'D', width: 1 / 16, numClasses: 10, inputSize: 33 } as const;
    const a = resnet({ ...config, seed: 1 });
    const b = resnet({ ...config, seed: 2 });
    loadSafetensors(a, config, fixtureBytes50());
    const result = loadSafetensors(b, config, toSafetensors(a, config), { strict: true });
    expect(result.loaded.length).toBe(a.weights.length);
    a.weights.forEach((w, i) => {
      expect(Array.from(b.weights[i]?.read().dataSync() ?? [])).toEqual(Array.from(w.read().dataSync()));
    });
    a.dispose();
    b.dispose();
  });

  it('loads from a Node Buffer that is a view at an unaligned offset (as fs.readFile may return)', () => {
    const bytes = fixtureBytes();
    const pool = Buffer.alloc(bytes.byteLength + 3);
    pool.set(bytes, 3);
    const view = pool.subarray(3);
    const a = resnet({ ...fixtureConfig, seed: 1 });
    const b = resnet({ ...fixtureConfig, seed: 2 });
    loadSafetensors(a, fixtureConfig, bytes);
    loadSafetensors(b, fixtureConfig, view);
    a.weights.forEach((w, i) => {
      expect(Array.from(b.weights[i]?.read().dataSync() ?? [])).toEqual(Array.from(w.read().dataSync()));
    });
    a.dispose();
    b.dispose();
  });

  it('names the missing key, the shape mismatch or the unexpected key, and changes nothing then', () => {
    const model = resnet({ ...fixtureConfig, seed: 4 });
    const before = Array.from(model.getLayer('conv1').getWeights()[0]?.dataSync() ?? []);
    const file = decodeSafetensors(fixtureBytes());
    const tensorsBefore = tf.memory().numTensors;
    const without = [...file.tensors].filter(([k]) => k !== 'layer3.1.bn2.running_var');
    expect(() => loadSafetensors(model, fixtureConfig, encodeSafetensors(without))).toThrow(
      /lacks 1 key\(s\) the model needs: layer3\.1\.bn2\.running_var/,
    );
    const extra = [
      ...file.tensors,
      ['head.extra', { dtype: 'F32', shape: [1], bytes: new Uint8Array(4) }],
    ] as [string, SafetensorsEntry][];
    expect(() => loadSafetensors(model, fixtureConfig, encodeSafetensors(extra))).toThrow(
      /no place for: head\.extra/,
    );
    const intWeights = [...file.tensors].map(([k, t]): [string, SafetensorsEntry] =>
      k === 'layer4.1.conv2.weight'
        ? [k, { dtype: 'I64', shape: t.shape, bytes: new Uint8Array(2 * t.bytes.length) }]
        : [k, t],
    );
    expect(() => loadSafetensors(model, fixtureConfig, encodeSafetensors(intWeights))).toThrow(
      /'layer4\.1\.conv2\.weight' must be F32, F16, BF16 or F64/,
    );
    expect(tf.memory().numTensors).toBe(tensorsBefore); // the failed loads leaked nothing
    expect(
      loadSafetensors(model, fixtureConfig, encodeSafetensors(extra), { strict: false }).unexpected,
    ).toEqual(['head.extra']);
    const seven = resnet({ ...fixtureConfig, numClasses: 7 });
    const fcBefore = Array.from(seven.getLayer('fc').getWeights()[0]?.dataSync() ?? []);
    expect(() => loadSafetensors(seven, { ...fixtureConfig, numClasses: 7 }, fixtureBytes())).toThrow(
      /'fc\.weight' has shape \[10,32\], the model needs \[7,32\]/,
    );
    expect(Array.from(seven.getLayer('conv1').getWeights()[0]?.dataSync() ?? [])).not.toEqual(
      Array.from(model.getLayer('conv1').getWeights()[0]?.dataSync() ?? []),
    );
    // Fine-tuning: keep the new head, take everything else.
    const tuned = loadSafetensors(seven, { ...fixtureConfig, numClasses: 7 }, fixtureBytes(), {
      skip: (k) => k.startsWith('fc.'),
    });
    expect(tuned.skipped).toEqual(['fc.weight', 'fc.bias']);
    expect(Array.from(seven.getLayer('fc').getWeights()[0]?.dataSync() ?? [])).toEqual(fcBefore);
    expect(Array.from(seven.getLayer('conv1').getWeights()[0]?.dataSync() ?? [])).toEqual(
      Array.from(model.getLayer('conv1').getWeights()[0]?.dataSync() ?? []),
    );
    expect(before).not.toEqual(Array.from(model.getLayer('conv1').getWeights()[0]?.dataSync() ?? []));
    model.dispose();
    seven.dispose();
  });

  it('loads half-precision checkpoints', () => {
    const file = decodeSafetensors(fixtureBytes());
    const halved = [...file.tensors].map(([k, t]): [string, SafetensorsEntry] => {
      if (t.dtype !== 'F32') return [k, t];
      const bf16 = new Uint8Array(t.bytes.length / 2);
      for (let i = 0; i < bf16.length; i += 2) {
        bf16[i] = t.bytes[2 * i + 2] as number; // the high half of each little-endian float32
        bf16[i + 1] = t.bytes[2 * i + 3] as number;
      }
      return [k, { dtype: 'BF16', shape: t.shape, bytes: bf16 }];
    });
    const model = resnet(fixtureConfig);
    loadSafetensors(model, fixtureConfig, encodeSafetensors(halved));
    const full = entryToFloat32('conv1.weight', file.tensors.get('conv1.weight') as SafetensorsEntry);
    const loaded = decodeSafetensors(toSafetensors(model, fixtureConfig)).tensors.get('conv1.weight');
    const got = entryToFloat32('conv1.weight', loaded as SafetensorsEntry);
    for (const [i, v] of full.entries()) {
      expect(Math.abs((got[i] as number) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -7);
    }
    model.dispose();
  });
});

function fixtureBytes50() {
  return new Uint8Array(readFileSync(join(import.meta.dirname, 'fixtures', 'r50d-imagenet-33.safetensors')));
}
