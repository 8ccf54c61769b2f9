import { KERNEL_LAYOUT, type PixelKernels } from './pixel-kernels.js';
import { bilinearTaps, type ResampleOptions } from './resample.js';

const SLACK = 64;
/** The byte size of `n` bytes and their slack, rounded up to whole 16-byte blocks. */
const region16 = (n: number) => Math.ceil((n + SLACK) / 16) * 16;

/**
 * `resampleBilinear(src, ..., { quantize: true })` of 8-bit RGB pixels on the SIMD kernels: PIL's bilinear
 * filter with its 22-bit fixed-point weights and per-pass rounding, so the same values, returned as bytes (a
 * new array) rather than floats.
 */
export function resampleBytes(
  kernels: PixelKernels,
  src: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  region?: ResampleOptions['region'],
): Uint8Array {
  if (src.length !== width * height * 3) {
    throw new RangeError(
      `src has ${src.length} bytes but ${width}x${height} RGB needs ${width * height * 3}`,
    );
  }
  const horizontal = outWidth !== width || region !== undefined;
  const vertical = outHeight !== height || region !== undefined;
  const xTaps = horizontal ? bilinearTaps(width, outWidth, region?.x ?? 0, region?.width ?? width) : null;
  const yTaps = vertical ? bilinearTaps(height, outHeight, region?.y ?? 0, region?.height ?? height) : null;
  const tableBytes = (t: typeof xTaps, n: number) => (t ? n * (t.maxTaps + 2) * 4 : 0);
  // source, horizontal result, vertical result, then the two tap tables
  const s = KERNEL_LAYOUT.data;
  const m = s + region16(width * height * 3);
  const o = m + region16(outWidth * height * 3);
  const tx = o + region16(outWidth * outHeight * 3);
  const ty = tx + tableBytes(xTaps, outWidth);
  kernels.reserve(ty + tableBytes(yTaps, outHeight) - KERNEL_LAYOUT.data);
  kernels.u8(s, src.length).set(src);
  let cur: number = s;
  if (xTaps) {
    writeTaps(kernels, tx, xTaps, outWidth);
    kernels.resampleRows(s, m, height, width, outWidth, tx, xTaps.maxTaps);
    cur = m;
  }
  if (yTaps) {
    writeTaps(kernels, ty, yTaps, outHeight);
    kernels.resampleColumns(cur, o, outWidth * 3, outHeight, ty, yTaps.maxTaps);
    cur = o;
  }
  return kernels.u8(cur, outWidth * outHeight * 3).slice();
}

function writeTaps(
  kernels: PixelKernels,
  at: number,
  taps: ReturnType<typeof bilinearTaps>,
  n: number,
): void {
  const entry = taps.maxTaps + 2;
  const table = kernels.i32(at, n * entry);
  for (let i = 0; i < n; i++) {
    table[i * entry] = taps.start[i] as number;
    table[i * entry + 1] = taps.count[i] as number;
    for (let k = 0; k < taps.maxTaps; k++)
      table[i * entry + 2 + k] = taps.fixed[i * taps.maxTaps + k] as number;
  }
}
