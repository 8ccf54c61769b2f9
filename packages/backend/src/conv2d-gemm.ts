import type { TensorInfo } from '@tensorflow/tfjs-core';
import { allocatePackedB, GEMM_KC, recordGemmTime } from './gemm-blocking.js';
import type { ConvGeometry } from './heap-layout.js';
import { heapAddress } from './simd-kernels.js';
import { gemmKernels } from './wasm-gemm.js';
import type { KernelScope, WasmBackendLike } from './wasm-kernel-scope.js';

/** What `convOnGemm` takes of a geometry: strides, leading padding (negative: skipped) and output size. */
export type GemmConvGeometry = Omit<ConvGeometry, 'kh' | 'kw'>;

/** Bytes of output rows accumulated over every tap before the next rows start: they stay in L2. */
const OUTPUT_BLOCK_BYTES = 256 * 1024;
/**
 * Bytes of packed B one pass over a block of output rows uses (whole 8-column panels): it stays in L2
 * while the rows stream past it, where a deep, wide layer's whole B (a 512 -> 512 tap row: 1.5 MB) would
 * come from memory once per output row.
 */
const PANEL_BLOCK_BYTES = 128 * 1024;

/**
 * y[n, oh, ow, co] = sum over (i, j, ci) of x[n, sh*oh + i - padTop, sw*ow + j - padLeft, ci] * W[i, j, ci, co]
 * (zero outside x), on this package's GEMM microkernels, without an im2col buffer.
 *
 * x is zero-padded once (NHWC). Output pixel ow of tap row i reads the padded input's row sh*oh + i from
 * column sw*ow on: its kw taps are kw adjacent pixels, one contiguous run of kw*Cin floats, and the
 * filter's rows W[i, :, :, :] lie in the same order. So one output row's share of a tap row is one GEMM,
 * kw*Cin deep, whose A is the padded input read in place (rows sw*Cin floats apart, overlapping) and
 * whose B is the filter as it lies; it accumulates straight into the output (ldc = Cout), so nothing is
 * computed for padding columns and nothing is cropped, at any stride. Every tap row's B is packed once per
 * call; output rows are taken in blocks that stay in cache while every tap row passes over them.
 */
export function convOnGemm(
  scope: KernelScope<WasmBackendLike>,
  x: TensorInfo,
  filter: TensorInfo,
  geometry: GemmConvGeometry,
  flavour: 'relaxed' | 'simd',
): TensorInfo {
  const start = performance.now();
  try {
    return convTaps(scope, x, filter, geometry, flavour);
  } finally {
    recordGemmTime(flavour, start);
  }
}

function convTaps(
  scope: KernelScope<WasmBackendLike>,
  x: TensorInfo,
  filter: TensorInfo,
  { sh, sw, padTop, padLeft, outH, outW }: GemmConvGeometry,
  flavour: 'relaxed' | 'simd',
): TensorInfo {
  const [n, , , cin] = x.shape as [number, number, number, number];
  const [kh, kw, filterCin, cout] = filter.shape as [number, number, number, number];
  if (filterCin !== cin) {
    throw new Error(
      `convOnGemm: filter.shape[2] (input channels) must equal x.shape[3]; got ${filterCin} and ${cin}`,
    );
  }
  const { backend } = scope;
  const out = scope.adopt(backend.makeOutput([n, outH, outW, cout], 'float32'));
  if (n * outH * outW * cout === 0) return out;
  if (cin === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  // The padded input: exactly the rows and columns the taps read, so the last output pixel's run ends at
  // the buffer's last float and no GEMM reads past it (an edge tile of fewer than 4 rows reads its last
  // row again, not the next).
  const hp = sh * (outH - 1) + kh;
  const wp = sw * (outW - 1) + kw;
  // One GEMM per (tap row, chunk of its kw*Cin contraction), its B packed up front.
  const panelCols = Math.ceil(cout / 8) * 8;
  const depth = kw * cin;
  const gemms: { i: number; k0: number; depth: number; packed: number }[] = [];
  let packedFloats = 0;
  for (let i = 0; i < kh; i++) {
    for (let k0 = 0; k0 < depth; k0 += GEMM_KC) {
      const chunk = Math.min(GEMM_KC, depth - k0);
      gemms.push({ i, k0, depth: chunk, packed: packedFloats });
      packedFloats += panelCols * chunk;
    }
  }
  const padded = scope.adopt(backend.makeOutput([n * hp * wp * cin], 'float32'));
  const packed = allocatePackedB(scope, packedFloats);
  padInto(backend, x, padded, { padTop, padLeft, hp, wp });

  const kernels = gemmKernels(backend, flavour);
  const xAt = heapAddress(backend, padded);
  const bAt = heapAddress(backend, filter);
  const packedAt = heapAddress(backend, packed);
  const outAt = heapAddress(backend, out);
  const tmpAt = packedAt + packedFloats * 4;
  for (const g of gemms) {
    kernels.packB(bAt + (g.i * depth + g.k0) * cout * 4, cout * 4, g.depth, cout, packedAt + g.packed * 4);
  }
  const rowBytes = outW * cout * 4;
  const blockRows = Math.max(1, Math.floor(OUTPUT_BLOCK_BYTES / rowBytes));
  const rowsTotal = n * outH;
  const deepest = gemms.reduce((k, g) => Math.max(k, g.depth), 0);
  const blockCols = Math.max(8, Math.floor(PANEL_BLOCK_BYTES / (deepest * 32)) * 8);
  for (let r0 = 0; r0 < rowsTotal; r0 += blockRows) {
    const r1 = Math.min(rowsTotal, r0 + blockRows);
    for (let j0 = 0; j0 < cout; j0 += blockCols) {
      const cols = Math.min(blockCols, cout - j0);
      gemms.forEach((g, index) => {
        // The first GEMM of each output row writes it, the others add to it.
        const accumulate = index === 0 ? 0 : 1;
        const panels = packedAt + (g.packed + j0 * g.depth) * 4;
        for (let r = r0; r < r1; r++) {
          const image = Math.floor(r / outH);
          const row = sh * (r - image * outH) + g.i;
          kernels.gemm(
            xAt + ((image * hp + row) * wp * cin + g.k0) * 4,
            sw * cin * 4,
            panels,
            g.depth,
            outAt + r * rowBytes + j0 * 4,
            cout * 4,
            outW,
            cols,
            accumulate,
            tmpAt,
          );
        }
      });
    }
  }
  return out;
}

/** padded[n, m, l, c] = x[n, m - padTop, l - padLeft, c] for m < hp, l < wp; zero outside x. */
function padInto(
  backend: WasmBackendLike,
  x: TensorInfo,
  padded: TensorInfo,
  { padTop, padLeft, hp, wp }: { padTop: number; padLeft: number; hp: number; wp: number },
): void {
  const [n, h, w, cin] = x.shape as [number, number, number, number];
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(padded);
  const row = wp * cin;
  // Padded columns l with an input column l - padLeft in [0, w).
  const l0 = Math.max(0, padLeft);
  const l1 = Math.min(wp, w + padLeft);
  for (let image = 0; image < n; image++) {
    for (let m = 0; m < hp; m++) {
      const at = (image * hp + m) * row;
      const ih = m - padTop;
      if (ih < 0 || ih >= h || l1 <= l0) {
        dst.fill(0, at, at + row);
        continue;
      }
      dst.fill(0, at, at + l0 * cin);
      dst.fill(0, at + l1 * cin, at + row);
      const from = ((image * h + ih) * w + l0 - padLeft) * cin;
      dst.set(src.subarray(from, from + (l1 - l0) * cin), at + l0 * cin);
    }
  }
}

/** A convolution `convOnGemm` would run, by its sizes. */
export interface GemmConvShape extends ConvGeometry {
  n: number;
  cin: number;
  cout: number;
}

/**
 * Whether `convOnGemm` measured faster than XNNPACK's convolution for this shape (a fresh filter each
 * call, as in a training step, where XNNPACK packs it anew; batch 4, CPU time, medians): every shape
 * measured whose tap rows are at least 9 floats deep, at strides 1 and 2. Forward, per layer of
 * ResNet-50-D at 224 px (bench/conv-layers.bench.ts): 1.1-1.2x at 112x112 down to 14x14, 1.7-1.95x on the
 * 512-channel 7x7s (XNNPACK repacks the 9.4 MB filter every call), the stride-2 3x3s 1.1-1.7x (the
 * 3-channel stem 1.1-1.3x); as dX 1.04-1.24x. Few channels (the convolution alone, 56x56 and
 * 112x112): 3x3 on 3-4 channels 1.24-1.36x, stride 2 on 8-64 channels 1.1-2.8x, a 3-channel 7x7 stride 2 1.3x.
 * Shallower tap rows (a 1x1 or a 3x1 on a few channels) were not measured and stay on XNNPACK.
 */
export function gemmConvWins(shape: GemmConvShape): boolean {
  return shape.kw * shape.cin >= 9;
}
