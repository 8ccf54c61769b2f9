import { pixelKernelsWasm } from './pixel-kernels-wasm.js';

/** The part of the WebAssembly JS API used here (its types are in lib.dom, which this package leaves out). */
export interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  validate(bytes: Uint8Array): boolean;
}

/** The memory map of pixel-kernels.wat (tools/build-pixel-kernels.mjs `LAYOUT`; a test keeps them equal). */
export const KERNEL_LAYOUT = {
  scratchIn: 0,
  scratchOut: 64,
  ops: 256,
  opBytes: 64,
  maxOps: 32,
  data: 4096,
} as const;

/** One entry of the kernel's operation table, in the float64 arithmetic of the JS passes. */
export type KernelOp =
  /** `clamp(f * x + offset, 0, 255)` on every value (brightness: offset 0; contrast). */
  | { code: 'scaleClamp'; f: number; offset: number }
  /** torchvision `adjust_saturation`: `clamp(f * x + (1 - f) * gray)`. */
  | { code: 'saturation'; f: number }
  /** Adds each pixel's grey level to the float64 sum `run` returns, in pixel order. */
  | { code: 'graySum' }
  /** `x[c] * scale[c] + offset[c]`, no clamping. */
  | { code: 'channelAffine'; scale: readonly number[]; offset: readonly number[] };

const CODES = { scaleClamp: 0, saturation: 1, graySum: 2, channelAffine: 3 } as const;
const PAGE = 65536;

interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  run(
    src: number,
    srcU8: number,
    mirrorWidth: number,
    dst: number,
    chw: number,
    npix: number,
    ops: number,
    nops: number,
  ): number;
  /**
   * PIL's horizontal bilinear pass on RGB bytes: `rows` rows of `inWidth` pixels at `src` to `outWidth` pixels
   * at `dst` (1 byte of slack), with the tap table at `taps` (per output pixel: first input pixel, tap count,
   * `maxTaps` fixed-point weights, all int32).
   */
  resampleRows(
    src: number,
    dst: number,
    rows: number,
    inWidth: number,
    outWidth: number,
    taps: number,
    maxTaps: number,
  ): void;
  /** PIL's vertical bilinear pass on rows of `stride` bytes (src and dst with 16 bytes of slack). */
  resampleColumns(
    src: number,
    dst: number,
    stride: number,
    outHeight: number,
    taps: number,
    maxTaps: number,
  ): void;
}

/** Where a pass reads its pixels: a byte offset, uint8 or float32, and the row width to mirror (0: none). */
export interface KernelSource {
  at: number;
  u8: boolean;
  mirrorWidth: number;
}

/** The instantiated SIMD module with its own memory: buffers are byte offsets into it. */
export class PixelKernels {
  constructor(private readonly exports: KernelExports) {}

  /** Makes the memory at least `KERNEL_LAYOUT.data + bytes` long; views made before a growth are detached. */
  reserve(bytes: number): void {
    const need = KERNEL_LAYOUT.data + bytes;
    const { memory } = this.exports;
    if (memory.buffer.byteLength < need) {
      memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
    }
  }

  f32(byteOffset: number, length: number): Float32Array {
    return new Float32Array(this.exports.memory.buffer, byteOffset, length);
  }

  u8(byteOffset: number, length: number): Uint8Array {
    return new Uint8Array(this.exports.memory.buffer, byteOffset, length);
  }

  i32(byteOffset: number, length: number): Int32Array {
    return new Int32Array(this.exports.memory.buffer, byteOffset, length);
  }

  /** The resampling passes of the module, called as they are (see `KernelExports`). */
  get resampleRows(): KernelExports['resampleRows'] {
    return this.exports.resampleRows;
  }

  get resampleColumns(): KernelExports['resampleColumns'] {
    return this.exports.resampleColumns;
  }

  /**
   * Streams `npix` RGB pixels from `src` through `ops` into `dst` (float32 HWC, which may be `src.at`, or three
   * float32 planes when `chw`). `src` is float32 HWC, or uint8 HWC with 4 bytes of slack after it; a uint8
   * source of `mirrorWidth` pixels a row (a multiple of 4; 0: no mirroring) is read mirrored left to right.
   * Returns the sum the `graySum` operations accumulated.
   */
  run(src: KernelSource, dst: number, chw: boolean, npix: number, ops: readonly KernelOp[]): number {
    if (src.mirrorWidth !== 0 && (!src.u8 || src.mirrorWidth % 4 !== 0 || npix % src.mirrorWidth !== 0)) {
      throw new RangeError(
        `mirrorWidth must be 0, or the row width of a uint8 source and a multiple of 4, got ${src.mirrorWidth} for ${npix} pixels`,
      );
    }
    if (ops.length > KERNEL_LAYOUT.maxOps) {
      throw new RangeError(`ops has ${ops.length} entries, at most ${KERNEL_LAYOUT.maxOps} allowed`);
    }
    const view = new DataView(
      this.exports.memory.buffer,
      KERNEL_LAYOUT.ops,
      KERNEL_LAYOUT.maxOps * KERNEL_LAYOUT.opBytes,
    );
    for (const [k, op] of ops.entries()) {
      const at = k * KERNEL_LAYOUT.opBytes;
      view.setInt32(at, CODES[op.code], true);
      const params =
        op.code === 'scaleClamp'
          ? [op.f, op.offset]
          : op.code === 'saturation'
            ? [op.f, 1 - op.f]
            : op.code === 'channelAffine'
              ? [...op.scale, ...op.offset]
              : [];
      for (const [i, v] of params.entries()) view.setFloat64(at + 8 * (i + 1), v, true);
    }
    const { at, u8, mirrorWidth } = src;
    return this.exports.run(
      at,
      u8 ? 1 : 0,
      mirrorWidth,
      dst,
      chw ? 1 : 0,
      npix,
      KERNEL_LAYOUT.ops,
      ops.length,
    );
  }
}

const decodeBase64 = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/**
 * The SIMD kernels instantiated with `api`, or null where they cannot run: no WebAssembly, or a runtime
 * without SIMD128 (`validate` refuses the module). Callers then keep the JS path, which gives the same bits.
 */
export function instantiatePixelKernels(
  api: WebAssemblyApi | null | undefined = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly,
): PixelKernels | null {
  if (!api) return null;
  const bytes = decodeBase64(pixelKernelsWasm);
  try {
    if (!api.validate(bytes)) return null;
    return new PixelKernels(new api.Instance(new api.Module(bytes), {}).exports as KernelExports);
  } catch {
    return null;
  }
}

/** Which implementation runs the per-pixel work: the WebAssembly SIMD kernels or the JS loops. */
export type PixelPath = 'simd' | 'js';

let wanted: PixelPath = 'simd';
let instance: PixelKernels | null | undefined;

/** The kernels the pipelines use now, or null on the JS path. Instantiated on first use, once per thread. */
export function pixelKernels(): PixelKernels | null {
  if (wanted === 'js') return null;
  if (instance === undefined) instance = instantiatePixelKernels();
  return instance;
}

/**
 * Chooses the path for the per-pixel work of this thread (default `simd`, which falls back to `js` where
 * WebAssembly SIMD is missing) and returns the path that will run. Both give the same bits; `js` is there to
 * compare and measure.
 */
export function usePixelPath(path: PixelPath): PixelPath {
  if (path !== 'simd' && path !== 'js')
    throw new RangeError(`path must be 'simd' or 'js', got ${String(path)}`);
  wanted = path;
  if (path === 'simd') instance = undefined;
  return pixelPath();
}

/** The path the per-pixel work takes now. */
export function pixelPath(): PixelPath {
  return pixelKernels() ? 'simd' : 'js';
}
