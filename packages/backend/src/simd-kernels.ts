import type { TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernelsWasm } from './simd-kernels-wasm.js';
import type { WasmBackendLike } from './wasm-kernel-scope.js';

type ChannelOp = (full: number, small: number, out: number, rows: number, cols: number) => void;

/**
 * Kernels of simd-kernels.wat, running on the tfjs wasm backend's own memory: byte pointers into its
 * heap, `cols` a multiple of 4. One pass each where the stock kernels need two (a tiled copy of
 * the per-channel operand, then the op) or JavaScript loops (about 3 ns per element).
 */
export interface SimdKernels {
  mulChannels: ChannelOp;
  addChannels: ChannelOp;
  /** full - small */
  subChannels: ChannelOp;
  /** small - full */
  subFromChannels: ChannelOp;
  /** full / small */
  divChannels: ChannelOp;
  /** small / full */
  divIntoChannels: ChannelOp;
  /** acc (cols float64) = the column sums of src [rows, cols] */
  sumRows(src: number, rows: number, cols: number, acc: number): void;
  /**
   * One window of MaxPoolGrad over NHWC x (byte strides; `first` a byte offset into x and dx): adds
   * dy's channelBytes/4 values at byte address dy to dx at each channel's first maximum.
   */
  maxPoolGradWindow(
    x: number,
    dx: number,
    first: number,
    rows: number,
    cols: number,
    rowStride: number,
    colStride: number,
    dy: number,
    channelBytes: number,
  ): void;
  /** dst [cols, rows] = src [rows, cols] transposed (rows and cols multiples of 4) */
  transpose2d(src: number, dst: number, rows: number, cols: number): void;
}

/** The part of the WebAssembly JS API used here (its types are in lib.dom, which this package leaves out). */
interface WebAssemblyApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasmApi = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;

const instances = new WeakMap<object, SimdKernels | null>();

/**
 * The SIMD kernels bound to this backend's memory, instantiated once per memory; null where they
 * cannot run (no WebAssembly SIMD, or a wasm backend build that does not expose its memory), in
 * which case callers keep their portable path.
 */
export function simdKernels(backend: WasmBackendLike): SimdKernels | null {
  const memory = (backend as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
  if (wasmApi === undefined || !(memory instanceof wasmApi.Memory)) return null;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    try {
      const bytes = Uint8Array.from(atob(simdKernelsWasm), (c) => c.charCodeAt(0));
      const instance = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } });
      kernels = instance.exports as unknown as SimdKernels;
    } catch {
      kernels = null;
    }
    instances.set(memory, kernels);
  }
  return kernels;
}

/** A tensor's byte address in the wasm heap. */
export function heapAddress(backend: WasmBackendLike, t: TensorInfo): number {
  return backend.typedArrayFromHeap(t).byteOffset;
}
