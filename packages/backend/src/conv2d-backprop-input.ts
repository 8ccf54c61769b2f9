import {
  backend_util,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convOnGemm, gemmConvWins } from './conv2d-gemm.js';
import { col2imChannelsFirst, flippedPhaseKernel, interleavePhases } from './heap-layout.js';
import { wasmGemmChoice } from './wasm-gemm.js';
import { type KernelScope, type WasmBackendLike, withKernelScope } from './wasm-kernel-scope.js';

/**
 * A stride-1 convolution with explicit padding (negative amounts crop): on the GEMM microkernels where they
 * are chosen and measured faster (`gemmConvWins`), else XNNPACK's, padding with the convolution's own
 * explicit padding where it can and cropping first where an amount is negative.
 */
function convWithPadding(
  scope: KernelScope,
  x: TensorInfo,
  filter: TensorInfo,
  [top, bottom]: [number, number],
  [left, right]: [number, number],
): TensorInfo {
  const { path } = wasmGemmChoice();
  if (path !== 'xnnpack') {
    const [n, h, w, cin] = x.shape as [number, number, number, number];
    const [kh, kw, , cout] = filter.shape as [number, number, number, number];
    const geometry = {
      sh: 1,
      sw: 1,
      padTop: top,
      padLeft: left,
      outH: h + top + bottom - kh + 1,
      outW: w + left + right - kw + 1,
    };
    if (gemmConvWins({ n, cin, cout, kh, kw, ...geometry })) {
      return convOnGemm(scope, x, filter, geometry, path);
    }
  }
  const cropped = scope.padOrCrop(x, [
    [0, 0],
    [Math.min(0, top), Math.min(0, bottom)],
    [Math.min(0, left), Math.min(0, right)],
    [0, 0],
  ]);
  const pad = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ];
  return scope.run(
    'Conv2D',
    { x: cropped, filter },
    { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] },
  );
}

/**
 * dx[n, ih, iw, ci] = sum over (oh, i, ow, j) with ih + padTop = s*oh + i (same along w) of
 * dy[n, oh, ow, co] * W[i, j, ci, co].
 *
 * Split by output phase a = (ih + padTop) mod s: phase a only meets the taps i = a, a + s, ..., so it
 * is a stride-1 convolution of dy with that flipped sub-kernel. The s*s phase results are interleaved
 * back. Every multiply-add is a real one: no zero-dilated dy (the stock kernel's s*s waste); each
 * convolution runs on XNNPACK or the GEMM microkernels (`convWithPadding`). Stride 1 is a single
 * convolution with the flipped, transposed kernel.
 */
export function conv2DBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: WasmBackendLike;
  attrs: Conv2DBackpropInputAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  if (backend_util.convertConv2DDataFormat(dataFormat) !== 'channelsLast') {
    throw new Error(`Conv2DBackpropInput on wasm supports dataFormat 'NHWC' only, got '${dataFormat}'`);
  }
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: n, inChannels: cin, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, inHeight: h, inWidth: w } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;

  const cout = info.outChannels;
  const positions = n * ho * wo;
  const pointwise = kh * kw === 1;
  if (
    Math.min(cin, cout) >= minCol2imChannels &&
    (pointwise ? positions < Math.min(cin, cout) : positions <= maxCol2imPositions)
  ) {
    return backpropInputByCol2im(backend, dy, filter, info);
  }
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && ho === h && wo === w && cin * cout >= 4096) {
    // A 1x1 stride-1 filter is a matmul: dx [N*H*W, Cin] = dy [N*H*W, Cout] x W^T. XNNPACK's matmul
    // on the transposed filter measured 1.5-2x faster than the convolution path on ResNet-50's 1x1s
    // (and slower on a few channels, where the convolution path stays).
    return withKernelScope(backend, 'wasm', (scope) => {
      const weightsT = scope.transpose(scope.reshape(filter, [cin, cout]), [1, 0]);
      const dx = scope.matMul(scope.reshape(dy, [n * h * w, cout]), weightsT);
      return scope.reshape(dx, [n, h, w, cin]);
    });
  }

  return withKernelScope(backend, 'wasm', (scope) => {
    // Phase rows m cover (ih + padTop) = s*m + a for ih in [0, H).
    const firstM = Math.floor(padTop / sh);
    const endM = Math.ceil((padTop + h) / sh);
    const firstMw = Math.floor(padLeft / sw);
    const endMw = Math.ceil((padLeft + w) / sw);

    const phases: TensorInfo[] = [];
    for (let a = 0; a < sh; a++) {
      for (let b = 0; b < sw; b++) {
        const tapsH = Math.max(0, Math.ceil((kh - a) / sh));
        const tapsW = Math.max(0, Math.ceil((kw - b) / sw));
        if (tapsH === 0 || tapsW === 0) {
          phases.push(scope.zeros([n, endM - firstM, endMw - firstMw, cin]));
          continue;
        }
        const kernel = flippedPhaseKernel(scope, filter, { a, b, sh, sw, tapsH, tapsW });
        phases.push(
          convWithPadding(
            scope,
            dy,
            kernel,
            [tapsH - 1 - firstM, endM - ho],
            [tapsW - 1 - firstMw, endMw - wo],
          ),
        );
      }
    }
    const only = phases[0] as TensorInfo;
    if (sh === 1 && sw === 1 && padTop === firstM && padLeft === firstMw) return only;
    return interleavePhases(scope, phases, {
      outShape: [n, h, w, cin],
      sh,
      sw,
      firstM,
      firstMw,
      padTop,
      padLeft,
    });
  });
}

/**
 * Few output positions and many channels (ResNet's last stages at small batches): the flipped-kernel
 * convolution runs XNNPACK with few rows against a large filter it packs anew each call. Instead,
 * cols = W [kh*kw*Cin, Cout] x dy^T [Cout, N*Ho*Wo], one matmul whose packed operand is the small dy^T,
 * then each tap's rows are summed into the input positions it reads (col2im) and transposed to NHWC.
 * Measured in ResNet-50-D steps at batch 4: 7x7 layers 13-15 -> 19-23 GFLOP/s, the stride-2 3x3 into
 * 7x7 11 -> 19-21; 1x1 filters gain only while the positions are fewer than the channels.
 */
const maxCol2imPositions = 1024;
const minCol2imChannels = 128;

function backpropInputByCol2im(
  backend: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: n, inChannels: cin, outChannels: cout, filterHeight: kh, filterWidth: kw } = info;
  const {
    strideHeight: sh,
    strideWidth: sw,
    outHeight: outH,
    outWidth: outW,
    inHeight: h,
    inWidth: w,
  } = info;
  return withKernelScope(backend, 'wasm', (scope) => {
    const positions = n * outH * outW;
    const dyT = scope.transpose(scope.reshape(dy, [positions, cout]), [1, 0]);
    const cols = scope.matMul(scope.reshape(filter, [kh * kw * cin, cout]), dyT);
    const padTop = info.padInfo.top;
    const padLeft = info.padInfo.left;
    const direct = kh * kw * sh * sw === 1 && padTop === 0 && padLeft === 0 && outH === h && outW === w;
    const dxT = direct
      ? cols
      : col2imChannelsFirst(scope, cols, { n, h, w, cin, kh, kw, sh, sw, padTop, padLeft, outH, outW });
    return scope.reshape(scope.transpose(dxT, [1, 0]), [n, h, w, cin]);
  });
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputWasm as unknown as KernelFunc,
};
