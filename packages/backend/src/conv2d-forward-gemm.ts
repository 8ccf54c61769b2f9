import { backend_util, type TensorInfo } from '@tensorflow/tfjs-core';
import { convOnGemm, gemmConvWins } from './conv2d-gemm.js';
import { type KernelArgs, overrideKernel } from './override.js';
import { wasmGemmChoice } from './wasm-gemm.js';
import { withKernelScope } from './wasm-kernel-scope.js';

const isOne = (v: unknown) =>
  v === undefined || v === 1 || (Array.isArray(v) && v.every((e) => e === 1 || e === undefined));

/**
 * The forward convolution without bias or activation (every convolution of a ResNet, which tfjs-layers
 * runs as FusedConv2D), on this package's GEMM microkernels: a 1x1 stride-1 unpadded filter is one GEMM,
 * y [N*H*W, Cout] = x [N*H*W, Cin] x W [Cin, Cout]; other filters and strides run tap row by tap row on
 * the padded input (`convOnGemm`) where that measured faster than XNNPACK (`gemmConvWins`). Only while
 * `configureWasmGemm` has chosen the microkernels; every other case, and every case while the GEMM path is
 * XNNPACK, is the stock kernel.
 */
function forwardConv(args: KernelArgs): TensorInfo | null {
  const { path } = wasmGemmChoice();
  if (path === 'xnnpack') return null;
  const { x, filter, bias, preluActivationWeights } = args.inputs;
  const { strides, pad, dataFormat, dilations, activation, dimRoundingMode } = args.attrs;
  if (x === undefined || filter === undefined || bias !== undefined || preluActivationWeights !== undefined) {
    return null;
  }
  if (activation !== undefined && activation !== 'linear') return null;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4) return null;
  if (!isOne(dilations)) return null;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') return null;
  const [n, h, w, cin] = x.shape as [number, number, number, number];
  const [kh, kw, , cout] = filter.shape as [number, number, number, number];
  const info = backend_util.computeConv2DInfo(
    [n, h, w, cin],
    filter.shape as [number, number, number, number],
    strides as number | [number, number],
    1,
    pad as 'same',
    dimRoundingMode as 'floor' | undefined,
  );
  const { outHeight: outH, outWidth: outW, strideHeight: sh, strideWidth: sw } = info;
  const { top: padTop, left: padLeft } = info.padInfo;
  if (kh * kw * sh * sw === 1 && outH === h && outW === w && padTop === 0 && padLeft === 0) {
    return withKernelScope(args.backend, 'wasm', (scope) => {
      const y = scope.matMul(scope.reshape(x, [n * h * w, cin]), scope.reshape(filter, [cin, cout]));
      return scope.reshape(y, [n, h, w, cout]);
    });
  }
  const geometry = { sh, sw, padTop, padLeft, outH, outW };
  if (!gemmConvWins({ n, cin, cout, kh, kw, ...geometry })) return null;
  return withKernelScope(args.backend, 'wasm', (scope) => convOnGemm(scope, x, filter, geometry, path));
}

/** Registered only when the GEMM microkernels are chosen (see register-wasm-training-kernels.ts). */
export const conv2DForwardGemmConfig = overrideKernel('Conv2D', forwardConv);
export const fusedConv2DForwardGemmConfig = overrideKernel('FusedConv2D', forwardConv);
