import {
  type DataId,
  getKernel,
  type KernelBackend,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { gemmOnHeap, wasmGemmChoice } from './wasm-gemm.js';

type KernelInputs = Record<string, TensorInfo> | TensorInfo[];

/**
 * The subset of the wasm backend (`BackendWasm`) the training kernels rely on. It is not exported
 * as a type by @tensorflow/tfjs-backend-wasm's public entry, so it is described structurally here.
 */
export interface WasmBackendLike extends KernelBackend {
  disposeData(dataId: DataId, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  readSync(dataId: DataId): Float32Array;
}

/**
 * Runs other kernels registered for the same backend (XNNPACK conv, matmul, transpose, ... on wasm; any
 * kernel on webgpu or cpu) on TensorInfos, without going through the engine: no tape, no tensor tracking.
 * Every output is a temporary that `dispose()` frees, except the ones handed back by `keep()`. Generic over
 * the backend: `slice` and `padOrCrop`, which copy from the wasm heap, exist only on a wasm scope.
 */
export class KernelScope<B extends KernelBackend = WasmBackendLike> {
  /** When set, each inner kernel call adds its milliseconds here under its kernel name (for profiling). */
  static timings: Map<string, number> | undefined;
  private readonly temps: TensorInfo[] = [];

  constructor(
    readonly backend: B,
    readonly backendName: string,
  ) {}

  run(kernelName: string, inputs: KernelInputs, attrs: Record<string, unknown> = {}): TensorInfo {
    const kernel = getKernel(kernelName, this.backendName);
    if (kernel === undefined) {
      throw new Error(`Kernel '${kernelName}' is not registered for backend '${this.backendName}'`);
    }
    const timings = KernelScope.timings;
    const start = timings === undefined ? 0 : performance.now();
    const out = kernel.kernelFunc({
      inputs: inputs as never,
      attrs: attrs as NamedAttrMap,
      backend: this.backend,
    }) as TensorInfo;
    if (timings !== undefined) {
      timings.set(kernelName, (timings.get(kernelName) ?? 0) + performance.now() - start);
    }
    this.temps.push(out);
    return out;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /**
   * A float32 slice copied straight from heap views (the wasm Slice kernel first copies its whole
   * input out of the heap, which dominates when a large tensor is sliced many times).
   */
  slice(this: KernelScope<WasmBackendLike>, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    const out = this.adopt(this.backend.makeOutput(size, 'float32'));
    const src = this.backend.typedArrayFromHeap(x);
    const dst = this.backend.typedArrayFromHeap(out);
    const shape = x.shape;
    const rank = shape.length;
    const strides = new Array<number>(rank);
    let stride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      strides[d] = stride;
      stride *= shape[d] as number;
    }
    // Merge the trailing dimensions the slice takes whole into one contiguous run.
    let inner = rank - 1;
    let run = size[inner] as number;
    while (inner > 0 && size[inner] === shape[inner] && begin[inner] === 0) {
      inner--;
      run *= size[inner] as number;
    }
    let offset = 0;
    const copy = (d: number, base: number): void => {
      if (d === inner) {
        const start = base + (begin[d] as number) * (strides[d] as number);
        dst.set(src.subarray(start, start + run), offset);
        offset += run;
        return;
      }
      for (let i = 0; i < (size[d] as number); i++) {
        copy(d + 1, base + ((begin[d] as number) + i) * (strides[d] as number));
      }
    };
    copy(0, 0);
    return out;
  }

  /** Pads with zeros; negative amounts crop. */
  padOrCrop(this: KernelScope<WasmBackendLike>, x: TensorInfo, amounts: [number, number][]): TensorInfo {
    let current = x;
    if (amounts.some(([a, b]) => a < 0 || b < 0)) {
      const begin = amounts.map(([a]) => Math.max(0, -a));
      const size = amounts.map(
        ([a, b], i) => (current.shape[i] as number) - Math.max(0, -a) - Math.max(0, -b),
      );
      current = this.slice(current, begin, size);
    }
    if (amounts.some(([a, b]) => a > 0 || b > 0)) {
      const paddings = amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]);
      current = this.run('PadV2', { x: current }, { paddings, constantValue: 0 });
    }
    return current;
  }

  /**
   * a [m, k] x b [k, n]: XNNPACK's BatchMatMul, or on wasm this package's GEMM microkernels when
   * `configureWasmGemm` (BOT_WASM_FMA) chose them.
   */
  matMul(a: TensorInfo, b: TensorInfo): TensorInfo {
    const { path } = wasmGemmChoice();
    if (path !== 'xnnpack' && this.backendName === 'wasm') {
      const timings = KernelScope.timings;
      const start = timings === undefined ? 0 : performance.now();
      const out = gemmOnHeap(this as unknown as KernelScope<WasmBackendLike>, a, b, path);
      if (timings !== undefined) {
        const name = `Gemm(${path})`;
        timings.set(name, (timings.get(name) ?? 0) + performance.now() - start);
      }
      return out;
    }
    return this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  }

  zeros(shape: number[]): TensorInfo {
    return this.run('Fill', [], { shape, value: 0, dtype: 'float32' });
  }

  /** Registers an output made directly with `backend.makeOutput` as a temporary of this scope. */
  adopt(x: TensorInfo): TensorInfo {
    this.temps.push(x);
    return x;
  }

  /** Removes `x` from the temporaries so it survives `dispose()` (to be returned by a kernel). */
  keep(x: TensorInfo): TensorInfo {
    const i = this.temps.lastIndexOf(x);
    if (i >= 0) this.temps.splice(i, 1);
    return x;
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** Runs `body` with a fresh scope on `backend` and frees every temporary but the returned one. */
export function withKernelScope<B extends KernelBackend>(
  backend: B,
  backendName: string,
  body: (scope: KernelScope<B>) => TensorInfo,
): TensorInfo {
  const scope = new KernelScope(backend, backendName);
  try {
    const out = body(scope);
    scope.keep(out);
    return out;
  } finally {
    scope.dispose();
  }
}
