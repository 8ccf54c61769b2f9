import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { KernelScope, registerWasmTrainingKernels } from '../src/index.js';
import { withKernelScope } from '../src/wasm-kernel-scope.js';

function randomTensor(shape: number[], seed: number): number[] {
  const size = shape.reduce((a, b) => a * b, 1);
  let s = seed;
  return Array.from({ length: size }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

async function onBoth(body: () => tf.Tensor): Promise<{ wasm: number[]; cpu: number[]; shape: number[] }> {
  await tf.setBackend('cpu');
  const cpuOut = body();
  const cpu = Array.from(cpuOut.dataSync());
  cpuOut.dispose();
  await tf.setBackend('wasm');
  const wasmOut = body();
  const wasm = Array.from(wasmOut.dataSync());
  const shape = wasmOut.shape;
  wasmOut.dispose();
  return { wasm, cpu, shape };
}

/** The values scaled by 1000 and rounded, as an int32 tensor. */
function int32Tensor(values: number[], shape: number[]): tf.Tensor {
  return tf.tensor(
    values.map((v) => Math.round(v * 1000)),
    shape,
    'int32',
  );
}

function expectClose(actual: number[], expected: number[]) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs((actual[i] as number) - (expected[i] as number))).toBeLessThan(1e-5);
  }
}

describe('Cast to the same dtype shares data on wasm', () => {
  it('float32 to float32 and int32 to int32 share; float32 to int32 still converts', async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
    const buffers = () => (tf.memory() as unknown as { numDataBuffers: number }).numDataBuffers;
    const floats = tf.tensor([1.5, -2.5, 3.25]);
    const ints = tf.tensor([1, 2], [2], 'int32');
    const before = buffers();
    const sameFloats = tf.cast(floats, 'float32');
    const sameInts = tf.cast(ints, 'int32');
    expect(buffers()).toBe(before);
    floats.dispose();
    expect(Array.from(sameFloats.dataSync())).toEqual([1.5, -2.5, 3.25]);
    expect(Array.from(sameInts.dataSync())).toEqual([1, 2]);
    const converted = tf.cast(sameFloats, 'int32');
    expect(converted.dtype).toBe('int32');
    expect(Array.from(converted.dataSync())).toEqual([1, -2, 3]);
    expect(buffers()).toBe(before + 1);
    tf.dispose([sameFloats, sameInts, ints, converted]);
  });
});

describe('Identity shares data on wasm', () => {
  it('a clone keeps its values after the original is disposed, and frees them when it is disposed', async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
    const buffers = () => (tf.memory() as unknown as { numDataBuffers: number }).numDataBuffers;
    const before = buffers();
    const original = tf.tensor([1, 2, 3, 4], [2, 2]);
    const copy = tf.clone(original);
    expect(buffers()).toBe(before + 1);
    original.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3, 4]);
    const sum = tf.add(copy, copy);
    expect(Array.from(sum.dataSync())).toEqual([2, 4, 6, 8]);
    tf.dispose([copy, sum]);
    expect(buffers()).toBe(before);
  });
});

describe('Tile, Sum and Mean overrides match the cpu backend', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  const tileCases: [number[], number[]][] = [
    [
      [1, 1, 1, 5],
      [2, 3, 4, 1],
    ],
    [
      [2, 3],
      [3, 2],
    ],
    [[3], [4]],
    [
      [2, 1, 3],
      [1, 5, 2],
    ],
    [
      [2, 2, 2, 2],
      [1, 1, 1, 1],
    ],
  ];
  for (const [shape, reps] of tileCases) {
    it(`Tile [${shape}] by [${reps}] (float32 and int32)`, async () => {
      const values = randomTensor(shape, 7);
      const floats = await onBoth(() => tf.tile(tf.tensor(values, shape), reps));
      expectClose(floats.wasm, floats.cpu);
      const ints = await onBoth(() => tf.tile(int32Tensor(values, shape), reps));
      expect(ints.wasm).toEqual(ints.cpu);
    });
  }

  const reduceCases: [number[], number[], boolean][] = [
    [[2, 3, 4, 5], [0, 1, 2], false],
    [[2, 3, 4, 5], [0, 1, 2], true],
    [[6, 7], [0], false],
    [[3, 4, 5], [1, 0], true],
    [[3, 4, 5], [2], false],
    [[3, 4, 5], [0, 2], false],
    [[3, 4, 5], [0, 1, 2], false],
    // A multiple of 4 kept values: the SIMD kernel.
    [[2, 3, 4, 8], [0, 1, 2], false],
    [[40, 12], [0], false],
    [[3, 4, 8], [0, 1], true],
  ];
  for (const [shape, axes, keepDims] of reduceCases) {
    it(`Sum and Mean of [${shape}] over [${axes}], keepDims ${keepDims}`, async () => {
      const values = randomTensor(shape, 11);
      const sums = await onBoth(() => tf.sum(tf.tensor(values, shape), axes, keepDims));
      expectClose(sums.wasm, sums.cpu);
      const means = await onBoth(() => tf.mean(tf.tensor(values, shape), axes, keepDims));
      expectClose(means.wasm, means.cpu);
      const expectedShape = tf.tidy(() => tf.sum(tf.zeros(shape), axes, keepDims).shape);
      expect(sums.shape).toEqual(expectedShape);
    });
  }
});

describe('binary ops with a leading-axes broadcast match the cpu backend', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  const ops = {
    mul: tf.mul,
    add: tf.add,
    sub: tf.sub,
    div: tf.div,
    squaredDifference: tf.squaredDifference,
  } as const;
  // [full shape, small shape]: per-channel vectors, rank-padded ones, a trailing [W, C] block (all
  // above the override's 4096-element threshold), and shapes it leaves to the stock kernel (a broadcast
  // in the middle, a small tensor).
  const shapeCases: [number[], number[]][] = [
    [[8, 12, 10, 6], [6]],
    [
      [8, 12, 10, 6],
      [1, 1, 1, 6],
    ],
    [
      [3, 20, 20, 5],
      [20, 5],
    ],
    [
      [5, 40, 40],
      [1, 40],
    ],
    [
      [8, 12, 10, 6],
      [8, 1, 10, 6],
    ],
    [[2, 3], [3]],
    // A multiple of 4 values per broadcast block: the SIMD kernels.
    [[8, 12, 10, 8], [8]],
    [
      [4, 12, 10, 12],
      [1, 1, 1, 12],
    ],
  ];
  for (const [name, op] of Object.entries(ops)) {
    for (const [fullShape, smallShape] of shapeCases) {
      it(`${name}: [${fullShape}] with [${smallShape}], both operand orders`, async () => {
        const full = randomTensor(fullShape, 5);
        // Keep divisors away from 0.
        const small = randomTensor(smallShape, 6).map((v) => v + Math.sign(v) * 0.5);
        for (const order of ['full-first', 'small-first']) {
          const { wasm, cpu, shape } = await onBoth(() =>
            tf.tidy(() => {
              const f = tf.tensor(full, fullShape);
              const s = tf.tensor(small, smallShape);
              return order === 'full-first' ? op(f, s) : op(s, tf.add(f, name === 'div' ? 2 : 0));
            }),
          );
          expect(shape).toEqual(fullShape);
          expectClose(wasm, cpu);
        }
      });
    }
  }

  it('frees the tiled operand', async () => {
    const x = tf.ones([8, 16, 16, 4]);
    const c = tf.tensor1d([1, 2, 3, 4]);
    const buffers = () => (tf.memory() as unknown as { numDataBuffers: number }).numDataBuffers;
    const before = buffers();
    const y = tf.mul(x, c);
    expect(buffers()).toBe(before + 1);
    expect(Array.from(y.dataSync().slice(0, 8))).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    tf.dispose([x, c, y]);
  });
});

describe('FusedBatchNorm override matches the cpu backend', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  const shape = [6, 10, 9, 7];
  for (const affine of [true, false]) {
    it(`batchNorm of [${shape}] with per-channel statistics, ${affine ? 'with' : 'without'} scale and offset`, async () => {
      const x = randomTensor(shape, 7).map((v) => 50 + 4 * v);
      const mean = randomTensor([7], 8).map((v) => 50 + v);
      const variance = randomTensor([7], 9).map((v) => 1 + v);
      const offset = randomTensor([7], 10);
      const scale = randomTensor([7], 11).map((v) => 2 * v);
      const { wasm, cpu } = await onBoth(() =>
        tf.tidy(() =>
          tf.batchNorm(
            tf.tensor(x, shape),
            tf.tensor1d(mean),
            tf.tensor1d(variance),
            affine ? tf.tensor1d(offset) : undefined,
            affine ? tf.tensor1d(scale) : undefined,
            1e-3,
          ),
        ),
      );
      expectClose(wasm, cpu);
    });
  }
});

describe('MaxPoolGrad and AvgPoolGrad overrides match the cpu backend', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  const poolCases: { shape: number[]; size: number; stride: number; pad: 'same' | 'valid' }[] = [
    { shape: [2, 9, 9, 5], size: 3, stride: 2, pad: 'same' },
    { shape: [2, 9, 8, 5], size: 3, stride: 2, pad: 'valid' },
    { shape: [3, 8, 7, 4], size: 2, stride: 2, pad: 'valid' },
    { shape: [1, 6, 6, 3], size: 3, stride: 1, pad: 'same' },
    // Channels a multiple of 4: the SIMD max-pool gradient.
    { shape: [2, 9, 9, 8], size: 3, stride: 2, pad: 'same' },
    { shape: [2, 9, 8, 12], size: 3, stride: 2, pad: 'valid' },
  ];
  for (const { shape, size, stride, pad } of poolCases) {
    for (const kind of ['max', 'avg'] as const) {
      it(`${kind} pool ${size}x${size}/${stride} ${pad} on [${shape}]: gradient`, async () => {
        // Rounded to a few levels, so max-pool windows hold ties (the first maximum takes the gradient).
        const x = randomTensor(shape, 13).map((v) => Math.max(0, Math.round(v * 4)));
        const dy = randomTensor(shape, 14);
        const { wasm, cpu } = await onBoth(() =>
          tf.tidy(() => {
            const pool = (t: tf.Tensor) =>
              kind === 'max'
                ? tf.maxPool(t as tf.Tensor4D, size, stride, pad)
                : tf.avgPool(t as tf.Tensor4D, size, stride, pad);
            const input = tf.tensor(x, shape);
            const upstream = tf.tensor(dy.slice(0, pool(input).size), pool(input).shape);
            return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pool(t), upstream)))(input);
          }),
        );
        expectClose(wasm, cpu);
      });
    }
  }
});

describe('BatchMatMul with a transposed operand matches the cpu backend', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  // [a shape, b shape, transposeA, transposeB]: a dense layer's dW (x^T dy) and dx (dy W^T) in both
  // size orders, both transposed, rank 3 with batch 1, and a batch of 2 (left to the stock kernel).
  const cases: [number[], number[], boolean, boolean][] = [
    [[5, 7], [5, 3], true, false],
    [[4, 9], [11, 9], false, true],
    [[12, 9], [3, 9], false, true],
    [[6, 4], [5, 6], true, true],
    [[1, 5, 7], [1, 5, 3], true, false],
    [[1, 4, 9], [1, 11, 9], false, true],
    [[2, 5, 7], [2, 5, 3], true, false],
  ];
  for (const [aShape, bShape, transposeA, transposeB] of cases) {
    it(`[${aShape}]${transposeA ? '^T' : ''} x [${bShape}]${transposeB ? '^T' : ''}`, async () => {
      const a = randomTensor(aShape, 21);
      const b = randomTensor(bShape, 22);
      const { wasm, cpu, shape } = await onBoth(() =>
        tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), transposeA, transposeB),
      );
      const expectedShape = tf.tidy(
        () => tf.matMul(tf.zeros(aShape), tf.zeros(bShape), transposeA, transposeB).shape,
      );
      expect(shape).toEqual(expectedShape);
      expectClose(wasm, cpu);
    });
  }

  it('frees its temporaries', async () => {
    const a = tf.randomNormal([6, 4]);
    const b = tf.randomNormal([5, 4]);
    tf.matMul(a, b, false, true).dispose();
    const before = (tf.memory() as unknown as { numDataBuffers: number }).numDataBuffers;
    const kept = tf.matMul(a, b, false, true);
    expect((tf.memory() as unknown as { numDataBuffers: number }).numDataBuffers).toBe(before + 1);
    expect(kept.shape).toEqual([6, 5]);
    tf.dispose([a, b, kept]);
  });
});

describe('Transpose override matches the cpu backend', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  // Rotations of axis groups with both sides a multiple of 4 (the SIMD kernel), then ones it leaves to
  // the stock kernel: a side not a multiple of 4, a permutation that is not a rotation.
  const cases: [number[], number[]][] = [
    [
      [8, 12],
      [1, 0],
    ],
    [
      [64, 36],
      [1, 0],
    ],
    [
      [4, 3, 8],
      [1, 2, 0],
    ],
    [
      [4, 3, 8],
      [2, 0, 1],
    ],
    [
      [2, 2, 3, 4],
      [2, 3, 0, 1],
    ],
    [
      [5, 8],
      [1, 0],
    ],
    [
      [4, 4, 8],
      [0, 2, 1],
    ],
  ];
  for (const [shape, perm] of cases) {
    it(`[${shape}] by [${perm}] (float32 and int32)`, async () => {
      const values = randomTensor(shape, 31);
      const floats = await onBoth(() => tf.transpose(tf.tensor(values, shape), perm));
      expect(floats.shape).toEqual(perm.map((p) => shape[p] as number));
      expect(floats.wasm).toEqual(floats.cpu);
      const ints = await onBoth(() => tf.transpose(int32Tensor(values, shape), perm));
      expect(ints.wasm).toEqual(ints.cpu);
    });
  }
});

describe('KernelScope on any backend', () => {
  it('runs the cpu backend’s kernels on TensorInfos and frees every temporary but the kept output', async () => {
    await tf.setBackend('cpu');
    const backend = tf.backend();
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const b = tf.tensor2d([5, 6, 7, 8], [2, 2]);
    const before = backend.numDataIds();
    const out = withKernelScope(backend, 'cpu', (scope) => {
      const product = scope.matMul(a, b);
      return scope.transpose(scope.reshape(product, [2, 2]), [1, 0]);
    });
    // A KernelScope<KernelBackend> has no wasm heap: slicing on it does not typecheck.
    const cpuScope = new KernelScope(backend, 'cpu');
    // @ts-expect-error slice copies from the wasm heap
    const sliceOnCpu = () => cpuScope.slice(a, [0, 0], [1, 1]);
    expect(typeof sliceOnCpu).toBe('function');
    expect(backend.numDataIds()).toBe(before + 1);
    const result = tf.engine().makeTensorFromTensorInfo(out);
    expect(Array.from(result.dataSync())).toEqual([19, 43, 22, 50]);
    tf.dispose([a, b, result]);
  });
});
