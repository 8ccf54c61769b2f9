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
  validate(bytes: Uint8Array): boolean;
}
export const wasmApi = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;

/** The bytes of a base64-encoded module. */
export const decodeBase64 = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** The wasm backend's memory, where this build exposes it (module.asm.memory); else undefined. */
export function backendMemory(backend: WasmBackendLike): object | undefined {
  const memory = (backend as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
  return wasmApi !== undefined && memory instanceof wasmApi.Memory ? memory : undefined;
}

/** Instantiates a base64-encoded module that imports `env.memory` on `memory`; returns its exports. */
export function instantiateOnMemory(base64: string, memory: object): object {
  if (wasmApi === undefined) throw new Error('no WebAssembly');
  return new wasmApi.Instance(new wasmApi.Module(decodeBase64(base64)), { env: { memory } }).exports;
}

const instances = new WeakMap<object, SimdKernels | null>();

/**
 * The SIMD kernels bound to this backend's memory, instantiated once per memory; null where they
 * cannot run (no WebAssembly SIMD, or a wasm backend build that does not expose its memory), in
 * which case callers keep their portable path.
 */
export function simdKernels(backend: WasmBackendLike): SimdKernels | null {
  const memory = backendMemory(backend);
  if (memory === undefined) return null;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    try {
      kernels = instantiateOnMemory(simdKernelsWasm, memory) as SimdKernels;
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
