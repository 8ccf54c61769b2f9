import type { TensorInfo } from '@tensorflow/tfjs-core';
import { GEMM_KC, recordGemmTime } from './gemm-blocking.js';
import type { ConvGeometry } from './heap-layout.js';
import { heapAddress } from './simd-kernels.js';
import { gemmKernels } from './wasm-gemm.js';
import type { KernelScope, WasmBackendLike } from './wasm-kernel-scope.js';

/** The geometry `convOnGemm` takes: a filter's strides, leading padding (negative: rows or columns skipped) and output size. */
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
 * x is laid out once as its stride phases, each zero-padded to one grid [N, hq, wq, Cin] (stride 1: the
 * padded input itself); phase (a, b) holds rows a, a + sh, ... and columns b, b + sw, ... of the padded
 * input, and meets the taps i = a + sh*u, j = b + sw*v. On that grid the taps v of one tap row u are
 * adjacent pixels, so their inputs are one contiguous run of tapsW*Cin floats: one output row's share of
 * a tap is a GEMM whose A is the grid read in place (rows Cin floats apart, overlapping) against B =
 * W[a + sh*u, b + sw*v, :, :], and at stride 1 a whole tap row is one GEMM (tapsW*Cin deep, B = the
 * filter's rows W[u, :, :, :] as they lie). Each output row accumulates
 * its tap rows straight into the output (ldc = Cout), so nothing is computed for the grid's padding
 * columns and nothing is cropped. Every tap's B is packed once per call; output rows are taken in blocks
 * that stay in cache while every tap row passes over them.
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
  const [n, h, w, cin] = x.shape as [number, number, number, number];
  const [kh, kw, filterCin, cout] = filter.shape as [number, number, number, number];
  if (filterCin !== cin) {
    throw new Error(`convOnGemm: the filter's input channels (${filterCin}) must equal x's (${cin})`);
  }
  const { backend } = scope;
  const out = scope.adopt(backend.makeOutput([n, outH, outW, cout], 'float32'));
  if (n * outH * outW * cout === 0) return out;
  if (cin === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  const tapsH = Math.ceil(kh / sh);
  const tapsW = Math.ceil(kw / sw);
  const hq = outH + tapsH - 1;
  const wq = outW + tapsW - 1;
  const phases: { a: number; b: number; rows: number; cols: number }[] = [];
  for (let a = 0; a < Math.min(sh, kh); a++) {
    for (let b = 0; b < Math.min(sw, kw); b++) {
      phases.push({ a, b, rows: Math.ceil((kh - a) / sh), cols: Math.ceil((kw - b) / sw) });
    }
  }

  // One GEMM per (phase, tap row u, chunk of the tapsW*Cin contraction), its B packed up front from the
  // filter's rows. With sw = 1 the taps of a tap row are adjacent in the filter too, so chunks run across
  // them; otherwise each chunk stays within one tap.
  const panelCols = Math.ceil(cout / 8) * 8;
  const gemms: { phase: number; u: number; depth: number; kOffset: number; bRow: number; packed: number }[] =
    [];
  let packedFloats = 0;
  phases.forEach((p, phase) => {
    const run = sw === 1 ? p.cols * cin : cin;
    for (let u = 0; u < p.rows; u++) {
      for (let v = 0; v < p.cols; v += run / cin) {
        const tap = (p.a + sh * u) * kw + (p.b + sw * v);
        for (let k0 = 0; k0 < run; k0 += GEMM_KC) {
          const depth = Math.min(GEMM_KC, run - k0);
          gemms.push({ phase, u, depth, kOffset: v * cin + k0, bRow: tap * cin + k0, packed: packedFloats });
          packedFloats += panelCols * depth;
        }
      }
    }
  });
  const gridFloats = n * hq * wq * cin;
  const grid = scope.adopt(backend.makeOutput([phases.length * gridFloats], 'float32'));
  // The packed panels, then 32 floats of scratch for the edge tiles.
  const packed = scope.adopt(backend.makeOutput([packedFloats + 32], 'float32'));
  fillPhaseGrids(backend, x, grid, { n, h, w, cin, sh, sw, padTop, padLeft, hq, wq, phases });

  const kernels = gemmKernels(backend, flavour);
  const gridAt = heapAddress(backend, grid);
  const bAt = heapAddress(backend, filter);
  const packedAt = heapAddress(backend, packed);
  const outAt = heapAddress(backend, out);
  const tmpAt = packedAt + packedFloats * 4;
  for (const g of gemms) {
    kernels.packB(bAt + g.bRow * cout * 4, cout * 4, g.depth, cout, packedAt + g.packed * 4);
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
        const aBase = gridAt + (g.phase * gridFloats + g.u * wq * cin + g.kOffset) * 4;
        const panels = packedAt + (g.packed + j0 * g.depth) * 4;
        for (let r = r0; r < r1; r++) {
          const image = Math.floor(r / outH);
          const oh = r - image * outH;
          kernels.gemm(
            aBase + (image * hq + oh) * wq * cin * 4,
            cin * 4,
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

/**
 * grid[phase, n, m, l, c] = x[n, sh*m + a - padTop, sw*l + b - padLeft, c] for phase (a, b), zero where
 * that is outside x.
 */
function fillPhaseGrids(
  backend: WasmBackendLike,
  x: TensorInfo,
  grid: TensorInfo,
  layout: {
    n: number;
    h: number;
    w: number;
    cin: number;
    sh: number;
    sw: number;
    padTop: number;
    padLeft: number;
    hq: number;
    wq: number;
    phases: { a: number; b: number }[];
  },
): void {
  const { n, h, w, cin, sh, sw, padTop, padLeft, hq, wq, phases } = layout;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(grid);
  const gridRow = wq * cin;
  phases.forEach(({ a, b }, phase) => {
    // Grid columns l with an input column: sw*l + b - padLeft in [0, w).
    const l0 = Math.max(0, Math.ceil((padLeft - b) / sw));
    const l1 = Math.min(wq, Math.floor((w - 1 + padLeft - b) / sw) + 1);
    for (let image = 0; image < n; image++) {
      for (let m = 0; m < hq; m++) {
        const at = ((phase * n + image) * hq + m) * gridRow;
        const ih = sh * m + a - padTop;
        if (ih < 0 || ih >= h || l1 <= l0) {
          dst.fill(0, at, at + gridRow);
          continue;
        }
        dst.fill(0, at, at + l0 * cin);
        dst.fill(0, at + l1 * cin, at + gridRow);
        const rowStart = ((image * h + ih) * w + (sw * l0 + b - padLeft)) * cin;
        if (sw === 1) {
          dst.set(src.subarray(rowStart, rowStart + (l1 - l0) * cin), at + l0 * cin);
          continue;
        }
        for (let l = l0, s = rowStart, d = at + l0 * cin; l < l1; l++, s += sw * cin, d += cin) {
          if (cin >= 16) {
            dst.set(src.subarray(s, s + cin), d);
          } else {
            for (let c = 0; c < cin; c++) dst[d + c] = src[s + c] as number;
          }
        }
      }
    }
  });
}

/** A convolution `convOnGemm` would run, by its sizes. */
export interface GemmConvShape extends ConvGeometry {
  n: number;
  cin: number;
  cout: number;
}

/**
 * Whether `convOnGemm` measured faster than XNNPACK's convolution for this shape (a fresh filter each
 * call, as in a training step: XNNPACK packs it anew; batch 4, CPU time, bench-results/conv-gemm-micro.mjs):
 * - stride 1 along the width, where a tap row is one GEMM kw*Cin deep: every case measured, from a 3x3
 *   on 3 channels (1.16-1.22x) and 8-32 channels (1.3-1.7x) to ResNet-50-D's 3x3s forward and as dX
 *   (56x56x64 1.25x, 14x14x256 1.7x, 4x4x512 3.7x: XNNPACK repacks the 9.4 MB filter every call);
 * - strided along the width, where each tap is its own GEMM Cin deep over a phase grid filled element by
 *   element: from 64 channels (64: 1.08x, 128: 1.04x, 256: 1.2-1.55x, 512: 3.5x); with fewer it lost
 *   (32 channels 0.79-0.93x, 8-16 0.73-0.75x, the 3-channel stems: 3x3 0.27-0.7x, 7x7 0.73x).
 */
export function gemmConvWins(shape: GemmConvShape): boolean {
  return shape.sw === 1 ? shape.kw * shape.cin >= 9 : shape.cin >= 64;
}
