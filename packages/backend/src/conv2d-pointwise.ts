import { backend_util, type TensorInfo } from '@tensorflow/tfjs-core';
import { type KernelArgs, overrideKernel } from './override.js';
import { wasmGemmChoice } from './wasm-gemm.js';
import { withKernelScope } from './wasm-kernel-scope.js';

const isOne = (v: unknown) =>
  v === undefined || v === 1 || (Array.isArray(v) && v.every((e) => e === 1 || e === undefined));

/**
 * The forward convolution with a 1x1 filter, stride 1, no padding, no bias and no activation (every 1x1
 * of a ResNet bottleneck, which tfjs-layers runs as FusedConv2D): y [N*H*W, Cout] = x [N*H*W, Cin] x W
 * [Cin, Cout], on this package's GEMM microkernels. Only while `configureWasmGemm` has chosen them
 * (BOT_WASM_FMA); every other case, and every case while the GEMM path is XNNPACK, is the stock kernel.
 */
function pointwiseConv(args: KernelArgs): TensorInfo | null {
  if (wasmGemmChoice().path === 'xnnpack') return null;
  const { x, filter, bias, preluActivationWeights } = args.inputs;
  const { strides, pad, dataFormat, dilations, activation, dimRoundingMode } = args.attrs;
  if (x === undefined || filter === undefined || bias !== undefined || preluActivationWeights !== undefined) {
    return null;
  }
  if (activation !== undefined && activation !== 'linear') return null;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4) return null;
  if (filter.shape[0] !== 1 || filter.shape[1] !== 1 || !isOne(strides) || !isOne(dilations)) return null;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') return null;
  const [n, h, w, cin] = x.shape as [number, number, number, number];
  const cout = filter.shape[3] as number;
  const info = backend_util.computeConv2DInfo(
    [n, h, w, cin],
    filter.shape as [number, number, number, number],
    1,
    1,
    pad as 'same',
    dimRoundingMode as 'floor' | undefined,
  );
  if (info.outHeight !== h || info.outWidth !== w || info.padInfo.top !== 0 || info.padInfo.left !== 0) {
    return null;
  }
  return withKernelScope(args.backend, 'wasm', (scope) => {
    const y = scope.matMul(scope.reshape(x, [n * h * w, cin]), scope.reshape(filter, [cin, cout]));
    return scope.reshape(y, [n, h, w, cout]);
  });
}

/** Registered only when the GEMM microkernels are chosen (see register-wasm-training-kernels.ts). */
export const conv2DPointwiseConfig = overrideKernel('Conv2D', pointwiseConv);
export const fusedConv2DPointwiseConfig = overrideKernel('FusedConv2D', pointwiseConv);
