/**
 * Bilinear resampling with PIL's algorithm (`Image.resize(size, BILINEAR)`, which torchvision uses for PIL
 * images): a separable triangle filter whose support widens with the reduction factor (antialiasing when
 * shrinking, plain bilinear interpolation when enlarging), pixel centres aligned, edge taps renormalised.
 * Horizontal pass first, then vertical, as PIL does.
 */

interface Taps {
  /** First input index of each output pixel's window. */
  readonly start: Int32Array;
  /** Number of taps of each output pixel. */
  readonly count: Int32Array;
  /** Weights, `maxTaps` per output pixel, normalised to sum 1. */
  readonly weights: Float64Array;
  /** The weights in PIL's 8-bit fixed point (times 2^22, rounded half away from zero). */
  readonly fixed: Float64Array;
  readonly maxTaps: number;
}

const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** The filter taps mapping `inSize` samples starting at `offset` (may be fractional) onto `outSize`. */
export function bilinearTaps(inSize: number, outSize: number, offset = 0, span = inSize): Taps {
  const scale = span / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const center = offset + (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    const n = hi - lo;
    for (let k = 0; k < n; k++) {
      const w = triangle((k + lo - center + 0.5) / filterScale);
      weights[o * maxTaps + k] = w;
      total += w;
    }
    if (total !== 0)
      for (let k = 0; k < n; k++) weights[o * maxTaps + k] = (weights[o * maxTaps + k] as number) / total;
    start[o] = lo;
    count[o] = n;
  }
  const fixed = weights.map((w) => (w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE)));
  return { start, count, weights, fixed, maxTaps };
}

export interface ResampleOptions {
  /**
   * Emulate PIL's 8-bit path exactly: fixed-point weights, rounding and clipping to [0, 255] after each pass.
   * Otherwise full float precision.
   */
  readonly quantize: boolean;
  /** The source rectangle to resample, in (possibly fractional) pixels, like PIL's `box`; default all of it. */
  readonly region?: { x: number; y: number; width: number; height: number };
}

/**
 * Resizes an HWC image of `width` x `height` x `channels` to `outWidth` x `outHeight`. `src` is a
 * Uint8Array from a decoder or a Float32Array.
 */
export function resampleBilinear(
  src: Uint8Array | Float32Array,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
  options: ResampleOptions,
): Float32Array {
  let cur: Float32Array | Uint8Array = src;
  const r = options.region;
  if (outWidth !== width || r) {
    const taps = bilinearTaps(width, outWidth, r?.x ?? 0, r?.width ?? width);
    cur = horizontalPass(cur, width, height, channels, outWidth, taps, options.quantize);
  }
  if (outHeight !== height || r) {
    const taps = bilinearTaps(height, outHeight, r?.y ?? 0, r?.height ?? height);
    cur = verticalPass(cur, outWidth * channels, outHeight, taps, options.quantize);
  }
  return cur instanceof Float32Array && cur !== src ? cur : Float32Array.from(cur);
}

function horizontalPass(
  src: Float32Array | Uint8Array,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  taps: Taps,
  quantize: boolean,
): Float32Array {
  const { start, count, maxTaps } = taps;
  const weights = quantize ? taps.fixed : taps.weights;
  const out = new Float32Array(outWidth * height * channels);
  const inStride = width * channels;
  const outStride = outWidth * channels;
  for (let y = 0; y < height; y++) {
    const rowIn = y * inStride;
    let p = y * outStride;
    for (let o = 0; o < outWidth; o++) {
      const n = count[o] as number;
      const wBase = o * maxTaps;
      const base = rowIn + (start[o] as number) * channels;
      if (channels === 3) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let k = 0, idx = base; k < n; k++, idx += 3) {
          const w = weights[wBase + k] as number;
          r += w * (src[idx] as number);
          g += w * (src[idx + 1] as number);
          b += w * (src[idx + 2] as number);
        }
        out[p++] = quantize ? quantize8(r) : r;
        out[p++] = quantize ? quantize8(g) : g;
        out[p++] = quantize ? quantize8(b) : b;
      } else {
        for (let c = 0; c < channels; c++) {
          let acc = 0;
          for (let k = 0, idx = base + c; k < n; k++, idx += channels) {
            acc += (weights[wBase + k] as number) * (src[idx] as number);
          }
          out[p++] = quantize ? quantize8(acc) : acc;
        }
      }
    }
  }
  return out;
}

function verticalPass(
  src: Float32Array | Uint8Array,
  stride: number,
  outHeight: number,
  taps: Taps,
  quantize: boolean,
): Float32Array {
  const { start, count, maxTaps } = taps;
  const weights = quantize ? taps.fixed : taps.weights;
  const out = new Float32Array(outHeight * stride);
  for (let o = 0; o < outHeight; o++) {
    const n = count[o] as number;
    const wBase = o * maxTaps;
    const rowIn = (start[o] as number) * stride;
    const rowOut = o * stride;
    if (n === 2) {
      // enlarging: every output row blends two input rows
      const w0 = weights[wBase] as number;
      const w1 = weights[wBase + 1] as number;
      for (let i = 0, j = rowIn; i < stride; i++, j++) {
        const acc = w0 * (src[j] as number) + w1 * (src[j + stride] as number);
        out[rowOut + i] = quantize ? quantize8(acc) : acc;
      }
      continue;
    }
    for (let i = 0; i < stride; i++) {
      let acc = 0;
      for (let k = 0, j = rowIn + i; k < n; k++, j += stride)
        acc += (weights[wBase + k] as number) * (src[j] as number);
      out[rowOut + i] = quantize ? quantize8(acc) : acc;
    }
  }
  return out;
}

/**
 * PIL's `clip8`: a fixed-point sum (weights times 2^22) rounded half up and clipped to [0, 255]. The sum of
 * 8-bit values times non-negative weights summing to about 2^22 stays below 2^31, so an int32 shift is exact.
 */
function quantize8(acc: number): number {
  const v = (acc + HALF) >> PRECISION_BITS;
  return v < 0 ? 0 : Math.min(v, 255);
}
