import type { TensorInfo } from '@tensorflow/tfjs-core';
import { allocatePackedB, GEMM_KC as KC, GEMM_MC as MC, recordGemmTime } from './gemm-blocking.js';
import { heapAddress } from './simd-kernels.js';
import { gemmKernels } from './wasm-gemm.js';
import type { KernelScope, WasmBackendLike } from './wasm-kernel-scope.js';

/**
 * dW [kh, kw, Cin, Cout] from x laid out channel-first on the stride-phase grid (`phases` [s*s, Cin,
 * N*hq*wq]) and dy zero-padded to that grid (`dyFlat` [N*hq*wq, Cout]): tap (i, j) is
 * x^T[phase(i, j)][:, shift + r] x dy[r] summed over the `rows` grid rows r, with shift = (i/sh)*wq + j/sw.
 * On the GEMM microkernels every tap's A is the grid read in place at its column offset (rows of x^T
 * N*hq*wq floats apart) and every tap shares B: each KC rows of dy are packed once for all kh*kw taps,
 * where a matmul per tap would copy a slice of x^T and pack the same rows of dy once per tap. The taps
 * accumulate straight into dW. The largest shift plus `rows` is the grid's row length, so no read runs
 * past a row of x^T.
 */
export function backpropFilterTapsOnGemm(
  scope: KernelScope<WasmBackendLike>,
  phases: TensorInfo,
  dyFlat: TensorInfo,
  layout: { kh: number; kw: number; sh: number; sw: number; wq: number; rows: number },
  flavour: 'relaxed' | 'simd',
): TensorInfo {
  const start = performance.now();
  const { kh, kw, sh, sw, wq, rows } = layout;
  const [, cin, phaseRows] = phases.shape as [number, number, number];
  const cout = dyFlat.shape[1] as number;
  const { backend } = scope;
  const dw = scope.adopt(backend.makeOutput([kh, kw, cin, cout], 'float32'));
  if (rows <= 0) {
    backend.typedArrayFromHeap(dw).fill(0);
    return dw;
  }
  const kernels = gemmKernels(backend, flavour);
  const panels = Math.ceil(cout / 8) * 8 * Math.min(KC, rows);
  const packed = allocatePackedB(scope, panels);
  const xAt = heapAddress(backend, phases);
  const dyAt = heapAddress(backend, dyFlat);
  const dwAt = heapAddress(backend, dw);
  const packedAt = heapAddress(backend, packed);
  const tmpAt = packedAt + panels * 4;
  for (let r0 = 0; r0 < rows; r0 += KC) {
    const depth = Math.min(KC, rows - r0);
    kernels.packB(dyAt + r0 * cout * 4, cout * 4, depth, cout, packedAt);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const phase = (i % sh) * sw + (j % sw);
        const shift = Math.floor(i / sh) * wq + Math.floor(j / sw);
        const tapAt = dwAt + (i * kw + j) * cin * cout * 4;
        for (let c0 = 0; c0 < cin; c0 += MC) {
          kernels.gemm(
            xAt + ((phase * cin + c0) * phaseRows + shift + r0) * 4,
            phaseRows * 4,
            packedAt,
            depth,
            tapAt + c0 * cout * 4,
            cout * 4,
            Math.min(MC, cin - c0),
            cout,
            r0 > 0 ? 1 : 0,
            tmpAt,
          );
        }
      }
    }
  }
  recordGemmTime(flavour, start);
  return dw;
}
