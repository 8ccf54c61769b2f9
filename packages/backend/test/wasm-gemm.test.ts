import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { gemmRelaxedWasm, gemmSimdWasm } from '../src/gemm-kernels-wasm.js';
import {
  configureWasmGemm,
  KernelScope,
  parseWasmFmaEnv,
  registerWasmTrainingKernels,
  selectBackend,
  wasmGemmChoice,
} from '../src/index.js';
import type { WasmBackendLike } from '../src/wasm-kernel-scope.js';
// @ts-expect-error: a plain .mjs build script, without types
import { compileGemm } from '../tools/build-simd-kernels.mjs';
import {
  backpropFilter,
  backpropInput,
  caseGradients,
  cases,
  describeCase,
  maxRelativeError,
  random,
} from './conv-cases.js';

// Node 20 validates relaxed SIMD only with V8's --experimental-wasm-relaxed-simd. This test process is
// started without it: configureWasmGemm(true) sets it itself with v8.setFlagsFromString, the path the CLI,
// the bench and their worker-thread replicas take, and the tests below check that it is in effect.
/** The WebAssembly namespace (its types are in lib.dom, which this package leaves out). */
const wasmApi = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } })
  .WebAssembly;
const relaxedBytes = () => Uint8Array.from(Buffer.from(gemmRelaxedWasm, 'base64'));

afterEach(() => {
  configureWasmGemm(false);
  vi.restoreAllMocks();
});

describe('GEMM microkernel modules', () => {
  it('the committed modules are what tools/build-simd-kernels.mjs compiles from its template', async () => {
    expect(((await compileGemm('relaxed')) as { bytes: Buffer }).bytes.toString('base64')).toBe(
      gemmRelaxedWasm,
    );
    expect(((await compileGemm('simd')) as { bytes: Buffer }).bytes.toString('base64')).toBe(gemmSimdWasm);
  });

  it('the relaxed module uses f32x4.relaxed_madd, the plain one does not (and validates everywhere SIMD does)', async () => {
    const relaxed = (await compileGemm('relaxed')) as { wat: string };
    const plain = (await compileGemm('simd')) as { wat: string };
    expect(relaxed.wat).toContain('f32x4.relaxed_madd');
    expect(plain.wat).not.toContain('relaxed');
    expect(wasmApi.validate(Uint8Array.from(Buffer.from(gemmSimdWasm, 'base64')))).toBe(true);
  });
});

describe('relaxed SIMD detection', () => {
  it('FMA on: relaxed SIMD validates afterwards, in this thread and in a worker thread', async () => {
    const choice = configureWasmGemm(true);
    expect(choice.path).toBe('relaxed');
    expect(choice.relaxedSimd?.available).toBe(true);
    const major = Number(process.versions.node.split('.')[0]);
    if (major < 22 && !process.execArgv.includes('--experimental-wasm-relaxed-simd')) {
      // Node 20 without the command-line flag: it was the v8.setFlagsFromString path.
      expect(choice.relaxedSimd?.how).toBe('v8-flag');
      expect(choice.reason).toContain("v8.setFlagsFromString('--experimental-wasm-relaxed-simd')");
    }
    expect(wasmApi.validate(relaxedBytes())).toBe(true);
    const inWorker = await new Promise((resolve, reject) => {
      const worker = new Worker(
        `const { parentPort } = require('node:worker_threads');
         parentPort.postMessage(WebAssembly.validate(Buffer.from('${gemmRelaxedWasm}', 'base64')));`,
        { eval: true },
      );
      worker.once('message', (v) => {
        void worker.terminate();
        resolve(v);
      });
      worker.once('error', reject);
    });
    expect(inWorker).toBe(true);
  });

  it('unconfigured, the path is the FMA microkernels (the default, resolved on first use)', async () => {
    vi.resetModules();
    const fresh = await import('../src/wasm-gemm.js');
    const choice = fresh.wasmGemmChoice();
    expect(choice.setting).toBe('auto');
    expect(choice.path).toBe('relaxed');
  });

  it('a runtime without relaxed SIMD (simulated) falls back to the non-FMA microkernels and says so', () => {
    const real = wasmApi.validate.bind(wasmApi);
    vi.spyOn(wasmApi, 'validate').mockImplementation((bytes: Uint8Array) =>
      Buffer.from(bytes).toString('base64') === gemmRelaxedWasm ? false : real(bytes),
    );
    for (const setting of ['auto', true] as const) {
      const choice = configureWasmGemm(setting);
      expect(choice.path).toBe('simd');
      expect(choice.relaxedSimd?.how).toBe('unavailable');
      expect(choice.reason).toMatch(
        /microkernels without FMA \(f32x4.mul \+ f32x4.add\): Node .* relaxed SIMD/,
      );
    }
    expect(configureWasmGemm('auto', { validate: () => false }).path).toBe('simd');
  });

  it("BOT_WASM_FMA: auto/1/on/true/'', 0/off/false, simd; anything else is a RangeError naming the variable", () => {
    expect(parseWasmFmaEnv(undefined)).toBeUndefined();
    expect(['auto', '1', 'on', 'TRUE', ''].map(parseWasmFmaEnv)).toEqual([
      'auto',
      'auto',
      'auto',
      'auto',
      'auto',
    ]);
    expect(['0', 'off', 'false'].map(parseWasmFmaEnv)).toEqual([false, false, false]);
    expect(parseWasmFmaEnv('simd')).toBe('simd');
    expect(() => parseWasmFmaEnv('yes')).toThrow(/BOT_WASM_FMA must be one of .*got 'yes'/);
    expect(() => configureWasmGemm('fast' as never)).toThrow(
      /fma must be 'auto', true, false or 'simd'; got "fast"/,
    );
  });

  it('selectBackend reports the GEMM path in its reason (default, option, env, simulated fallback)', async () => {
    configureWasmGemm('auto');
    const plain = await selectBackend({ prefer: 'wasm', env: {} });
    expect(plain.wasmGemm?.path).toBe('relaxed');
    expect(plain.reason).toContain('microkernels with FMA (f32x4.relaxed_madd');

    const off = await selectBackend({ prefer: 'wasm', env: { BOT_WASM_FMA: '0' } });
    expect(off.wasmGemm?.path).toBe('xnnpack');
    expect(off.reason).toContain('convolution GEMMs on XNNPACK (BOT_WASM_FMA=0)');
    expect(wasmGemmChoice().path).toBe('xnnpack');

    const fma = await selectBackend({ prefer: 'wasm', env: { BOT_WASM_FMA: '1' } });
    expect(fma.wasmGemm?.path).toBe('relaxed');

    const simd = await selectBackend({ prefer: 'wasm', wasmFma: 'simd', env: { BOT_WASM_FMA: '1' } });
    expect(simd.wasmGemm?.path).toBe('simd');
    expect(simd.reason).toContain('no FMA');

    vi.spyOn(wasmApi, 'validate').mockReturnValue(false);
    const fallback = await selectBackend({ prefer: 'wasm', wasmFma: 'auto' });
    expect(fallback.wasmGemm?.path).toBe('simd');
    expect(fallback.reason).toContain('without FMA');
  });
});

/** C = A B with the microkernels, through a KernelScope on the wasm heap, against a float64 product. */
async function gemmError(m: number, k: number, n: number, flavour: true | 'simd'): Promise<number> {
  await tf.setBackend('wasm');
  expect(configureWasmGemm(flavour).path).toBe(flavour === true ? 'relaxed' : 'simd');
  const aData = random(m * k);
  const bData = random(k * n);
  const a = tf.tensor2d(aData, [m, k]);
  const b = tf.tensor2d(bData, [k, n]);
  const scope = new KernelScope(tf.backend() as unknown as WasmBackendLike, 'wasm');
  const c = scope.matMul(a as never, b as never);
  const actual = Float32Array.from(scope.backend.typedArrayFromHeap(c));
  scope.dispose();
  tf.dispose([a, b]);
  const expected = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += (aData[i * k + p] as number) * (bData[p * n + j] as number);
      expected[i * n + j] = sum;
    }
  }
  return maxRelativeError(actual, expected);
}

describe('GEMM microkernels on the wasm heap', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  // Edge tiles (m % 4, n % 8), k across the 256-deep packed panels, m across the 128-row blocks, 1x1x1.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [5, 7, 3],
    [4, 8, 8],
    [13, 300, 17],
    [9, 513, 23],
    [130, 257, 40],
    [3, 1000, 9],
  ];
  for (const [m, k, n] of shapes) {
    it(`[${m}, ${k}] x [${k}, ${n}] with FMA and without agrees with a float64 product within 1e-5`, async () => {
      expect(await gemmError(m, k, n, true)).toBeLessThan(1e-5);
      expect(await gemmError(m, k, n, 'simd')).toBeLessThan(1e-5);
    }, 60_000);
  }

  it('an empty contraction (k = 0) gives zeros, and frees its temporaries', async () => {
    await tf.setBackend('wasm');
    configureWasmGemm(true);
    const a = tf.zeros([3, 0]);
    const b = tf.zeros([0, 5]);
    const before = tf.memory().numBytes;
    const scope = new KernelScope(tf.backend() as unknown as WasmBackendLike, 'wasm');
    const c = scope.matMul(a as never, b as never);
    expect(Array.from(scope.backend.typedArrayFromHeap(c))).toEqual(new Array(15).fill(0));
    scope.dispose();
    expect(tf.memory().numBytes).toBe(before);
    tf.dispose([a, b]);
  });
});

describe('convolution gradients on the FMA and non-FMA microkernels match the cpu backend', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  for (const c of cases) {
    it(`${describeCase(c)}: FMA, non-FMA and XNNPACK within 1e-5; off is XNNPACK to the bit`, async () => {
      const grads = await caseGradients(c);
      const expected = await grads('cpu');
      const xnnpack = await grads('wasm');
      configureWasmGemm(true);
      const fma = await grads('wasm');
      configureWasmGemm('simd');
      const simd = await grads('wasm');
      configureWasmGemm(false);
      const off = await grads('wasm');
      for (const key of ['dW', 'dX'] as const) {
        expect(maxRelativeError(fma[key], expected[key])).toBeLessThan(1e-5);
        expect(maxRelativeError(simd[key], expected[key])).toBeLessThan(1e-5);
        expect(maxRelativeError(fma[key], simd[key])).toBeLessThan(1e-5);
        expect(Array.from(off[key])).toEqual(Array.from(xnnpack[key]));
      }
    }, 120_000);
  }

  it('on the microkernels, dX by convolution (stride 1 and the stride phases) and dW by taps (batch 32 too) call no XNNPACK kernel', async () => {
    configureWasmGemm(true);
    // 24 x 22 'same': the shift grid (26 x 24) is within 1.2x the output, so dW takes the taps.
    const x = tf.tensor4d(random(32 * 24 * 22 * 8), [32, 24, 22, 8]);
    const w = tf.tensor4d(random(3 * 3 * 8 * 16), [3, 3, 8, 16]);
    const dy1 = tf.tensor4d(random(32 * 24 * 22 * 16), [32, 24, 22, 16]);
    const dy2 = tf.tensor4d(random(32 * 12 * 11 * 16), [32, 12, 11, 16]);
    KernelScope.timings = new Map();
    try {
      tf.dispose([
        backpropInput(x.shape, dy1, w, [1, 1], 'same'),
        backpropInput(x.shape, dy2, w, [2, 2], 'same'),
        backpropFilter(x, dy1, w.shape, [1, 1], 'same'),
      ]);
      const names = [...KernelScope.timings.keys()];
      expect(names).toContain('Gemm(relaxed)');
      expect(names).not.toContain('Conv2D');
      expect(names).not.toContain('BatchMatMul');
    } finally {
      KernelScope.timings = undefined;
      tf.dispose([x, w, dy1, dy2]);
    }
  });

  it('the FMA kernels are the ones running (profiled under their own name)', async () => {
    configureWasmGemm(true);
    const x = tf.tensor4d(random(2 * 9 * 9 * 8), [2, 9, 9, 8]);
    const dy = tf.tensor4d(random(2 * 9 * 9 * 16), [2, 9, 9, 16]);
    KernelScope.timings = new Map();
    try {
      tf.dispose(backpropFilter(x, dy, [1, 1, 8, 16], [1, 1], 'same'));
      expect([...KernelScope.timings.keys()]).toContain('Gemm(relaxed)');
      expect([...KernelScope.timings.keys()]).not.toContain('BatchMatMul');
    } finally {
      KernelScope.timings = undefined;
      tf.dispose([x, dy]);
    }
  });
});
