import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelScope } from './wasm-kernel-scope.js';

// Layout changes the wasm backend does slowly (its Transpose of rank > 4 and its StridedSlice fall
// back to element-wise JavaScript with index arithmetic; Reverse is slow too), written as plain loops
// over the wasm heap. Views are taken after every allocation, since an allocation can grow (and so
// detach) the heap.

/**
 * x [N, H, W, C] -> [sh*sw, C, N*hq*wq]: zero-padded by (padTop, padLeft) at the start and cropped or
 * zero-padded at the end to sh*hq rows and sw*wq columns, split into stride phases
 * (phase (a, b) holds padded rows a, a+sh, ... and columns b, b+sw, ...) and laid out channel-first.
 */
export function phaseSplitChannelsFirst(
  scope: KernelScope,
  x: TensorInfo,
  layout: { padTop: number; padLeft: number; sh: number; sw: number; hq: number; wq: number },
): TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const { padTop, padLeft, sh, sw, hq, wq } = layout;
  const plane = n * hq * wq;
  const out = scope.run('Fill', [], { shape: [sh * sw, c, plane], value: 0, dtype: 'float32' });
  const src = scope.backend.typedArrayFromHeap(x);
  const dst = scope.backend.typedArrayFromHeap(out);
  const phaseStride = c * plane;
  for (let b = 0; b < n; b++) {
    for (let ih = 0; ih < h; ih++) {
      const row = ih + padTop;
      const qh = Math.floor(row / sh);
      if (qh >= hq) break;
      const rowPhase = (row - qh * sh) * sw;
      const rowBase = (b * hq + qh) * wq;
      for (let iw = 0; iw < w; iw++) {
        const col = iw + padLeft;
        const qw = Math.floor(col / sw);
        if (qw >= wq) break;
        const base = (rowPhase + (col - qw * sw)) * phaseStride + rowBase + qw;
        let s = ((b * h + ih) * w + iw) * c;
        for (let ch = 0, d = base; ch < c; ch++, d += plane) dst[d] = src[s++] as number;
      }
    }
  }
  return out;
}

/**
 * The stride phase (a, b) of a filter [kh, kw, Cin, Cout], flipped spatially and with its channels
 * swapped: out[u, v, co, ci] = filter[a + sh*(tapsH-1-u), b + sw*(tapsW-1-v), ci, co], shape
 * [tapsH, tapsW, Cout, Cin]. With sh = sw = 1 this is the whole filter, flipped and transposed.
 */
export function flippedPhaseKernel(
  scope: KernelScope,
  filter: TensorInfo,
  phase: { a: number; b: number; sh: number; sw: number; tapsH: number; tapsW: number },
): TensorInfo {
  const [, kw, cin, cout] = filter.shape as [number, number, number, number];
  const { a, b, sh, sw, tapsH, tapsW } = phase;
  const out = scope.backend.makeOutput([tapsH, tapsW, cout, cin], 'float32');
  scope.adopt(out);
  const src = scope.backend.typedArrayFromHeap(filter);
  const dst = scope.backend.typedArrayFromHeap(out);
  const block = cin * cout;
  const tile = 32;
  for (let u = 0; u < tapsH; u++) {
    for (let v = 0; v < tapsW; v++) {
      const i = a + sh * (tapsH - 1 - u);
      const j = b + sw * (tapsW - 1 - v);
      const s0 = (i * kw + j) * block;
      const d0 = (u * tapsW + v) * block;
      for (let ci0 = 0; ci0 < cin; ci0 += tile) {
        const ciEnd = Math.min(cin, ci0 + tile);
        for (let co0 = 0; co0 < cout; co0 += tile) {
          const coEnd = Math.min(cout, co0 + tile);
          for (let ci = ci0; ci < ciEnd; ci++) {
            const s = s0 + ci * cout;
            for (let co = co0; co < coEnd; co++) dst[d0 + co * cin + ci] = src[s + co] as number;
          }
        }
      }
    }
  }
  return out;
}

/**
 * Writes stride phases back into one image: phase (a, b), shape [N, mh, mw, C], holds the rows
 * r = (firstM + m)*sh + a - padTop (columns likewise) of out [N, H, W, C]; rows outside [0, H) are dropped.
 */
export function interleavePhases(
  scope: KernelScope,
  phases: TensorInfo[],
  layout: {
    outShape: [number, number, number, number];
    sh: number;
    sw: number;
    firstM: number;
    firstMw: number;
    padTop: number;
    padLeft: number;
  },
): TensorInfo {
  const [n, h, w, c] = layout.outShape;
  const { sh, sw, firstM, firstMw, padTop, padLeft } = layout;
  const out = scope.backend.makeOutput([n, h, w, c], 'float32');
  scope.adopt(out);
  const dst = scope.backend.typedArrayFromHeap(out);
  for (let a = 0; a < sh; a++) {
    for (let b = 0; b < sw; b++) {
      const phase = phases[a * sw + b] as TensorInfo;
      const [, mh, mw] = phase.shape as [number, number, number, number];
      const src = scope.backend.typedArrayFromHeap(phase);
      for (let bi = 0; bi < n; bi++) {
        for (let m = 0; m < mh; m++) {
          const r = (firstM + m) * sh + a - padTop;
          if (r < 0 || r >= h) continue;
          for (let mm = 0; mm < mw; mm++) {
            const col = (firstMw + mm) * sw + b - padLeft;
            if (col < 0 || col >= w) continue;
            const s = ((bi * mh + m) * mw + mm) * c;
            dst.set(src.subarray(s, s + c), ((bi * h + r) * w + col) * c);
          }
        }
      }
    }
  }
  return out;
}

/** A convolution's filter size, strides, leading padding and output size. */
export interface ConvGeometry {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/**
 * Columns [r0, r0 + count) of the transposed im2col matrix of x: out[(i*kw + j)*Cin + ci, r - r0] =
 * x[n, oh*sh + i - padTop, ow*sw + j - padLeft, ci] for output position r = (n*outH + oh)*outW + ow,
 * zero where that falls in the padding. Shape [kh*kw*Cin, count].
 */
export function im2colChannelsFirst(
  scope: KernelScope,
  x: TensorInfo,
  geometry: ConvGeometry,
  r0: number,
  count: number,
): TensorInfo {
  const [, h, w, c] = x.shape as [number, number, number, number];
  const { kh, kw, sh, sw, padTop, padLeft, outH, outW } = geometry;
  const out = scope.adopt(scope.backend.makeOutput([kh * kw * c, count], 'float32'));
  const src = scope.backend.typedArrayFromHeap(x);
  const dst = scope.backend.typedArrayFromHeap(out);
  for (let rr = 0; rr < count; rr++) {
    const r = r0 + rr;
    const ow = r % outW;
    const rest = (r - ow) / outW;
    const oh = rest % outH;
    const b = (rest - oh) / outH;
    for (let i = 0; i < kh; i++) {
      const ih = oh * sh + i - padTop;
      for (let j = 0; j < kw; j++) {
        const iw = ow * sw + j - padLeft;
        let d = (i * kw + j) * c * count + rr;
        if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
          for (let ch = 0; ch < c; ch++, d += count) dst[d] = 0;
          continue;
        }
        let s = ((b * h + ih) * w + iw) * c;
        for (let ch = 0; ch < c; ch++, d += count) dst[d] = src[s++] as number;
      }
    }
  }
  return out;
}

/**
 * x [N, H, W, C] -> [C, rows, cols, N], keeping only the first `rows` rows and `cols` columns: the
 * batch becomes the channel axis, so that a convolution over it contracts over the batch.
 */
export function batchToChannels(scope: KernelScope, x: TensorInfo, rows: number, cols: number): TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const out = scope.adopt(scope.backend.makeOutput([c, rows, cols, n], 'float32'));
  const src = scope.backend.typedArrayFromHeap(x);
  const dst = scope.backend.typedArrayFromHeap(out);
  const plane = rows * cols * n;
  for (let b = 0; b < n; b++) {
    for (let ih = 0; ih < rows; ih++) {
      for (let iw = 0; iw < cols; iw++) {
        let s = ((b * h + ih) * w + iw) * c;
        for (let ch = 0, d = (ih * cols + iw) * n + b; ch < c; ch++, d += plane) dst[d] = src[s++] as number;
      }
    }
  }
  return out;
}

/** dy [N, H, W, C] -> [H, W, N, C]: each position's channel vectors, batch after the spatial axes. */
export function batchInsideSpatial(scope: KernelScope, dy: TensorInfo): TensorInfo {
  const [n, h, w, c] = dy.shape as [number, number, number, number];
  const out = scope.adopt(scope.backend.makeOutput([h, w, n, c], 'float32'));
  const src = scope.backend.typedArrayFromHeap(dy);
  const dst = scope.backend.typedArrayFromHeap(out);
  const positions = h * w;
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < positions; p++) {
      const s = (b * positions + p) * c;
      const d = (p * n + b) * c;
      // A subarray per position costs more than it saves on a few channels.
      if (c >= 16) {
        dst.set(src.subarray(s, s + c), d);
      } else {
        for (let ch = 0; ch < c; ch++) dst[d + ch] = src[s + ch] as number;
      }
    }
  }
  return out;
}

/**
 * The transpose of `im2colChannelsFirst`: cols [kh*kw*Cin, N*outH*outW] (row (i*kw + j)*Cin + ci holds
 * tap (i, j) of channel ci at every output position) summed back into the input positions each tap
 * reads, x [Cin, N*H*W] channel-first; taps that fall in the padding are dropped.
 */
export function col2imChannelsFirst(
  scope: KernelScope,
  cols: TensorInfo,
  geometry: ConvGeometry & { n: number; h: number; w: number; cin: number },
): TensorInfo {
  const { n, h, w, cin, kh, kw, sh, sw, padTop, padLeft, outH, outW } = geometry;
  const positions = n * outH * outW;
  const plane = n * h * w;
  const out = scope.zeros([cin, plane]);
  const src = scope.backend.typedArrayFromHeap(cols);
  const dst = scope.backend.typedArrayFromHeap(out);
  // Output rows (columns) whose tap lands inside the input: s*o + i - pad in [0, H).
  const range = (tap: number, pad: number, s: number, size: number, outSize: number) => [
    Math.max(0, Math.ceil((pad - tap) / s)),
    Math.min(outSize, Math.floor((size - 1 + pad - tap) / s) + 1),
  ];
  for (let i = 0; i < kh; i++) {
    const [oy0, oy1] = range(i, padTop, sh, h, outH) as [number, number];
    for (let j = 0; j < kw; j++) {
      const [ox0, ox1] = range(j, padLeft, sw, w, outW) as [number, number];
      for (let ci = 0; ci < cin; ci++) {
        const srcRow = ((i * kw + j) * cin + ci) * positions;
        const dstRow = ci * plane + j - padLeft;
        for (let b = 0; b < n; b++) {
          for (let oy = oy0; oy < oy1; oy++) {
            const s = srcRow + (b * outH + oy) * outW;
            const d = dstRow + (b * h + oy * sh + i - padTop) * w;
            for (let ox = ox0; ox < ox1; ox++) {
              const k = d + ox * sw;
              dst[k] = (dst[k] as number) + (src[s + ox] as number);
            }
          }
        }
      }
    }
  }
  return out;
}
