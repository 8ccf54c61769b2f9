import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  env,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { type KernelScope, type WasmBackendLike, withKernelScope } from './wasm-kernel-scope.js';

/**
 * tfjs flag: compute a convolution's filter gradient on webgpu as im2col + batched matmul (true, default) or
 * with tfjs' own kernel (false), for comparisons on a real GPU.
 */
export const WEBGPU_CONV2D_DW_MATMUL = 'BOT_WEBGPU_CONV2D_DW_MATMUL';
env().registerFlag(WEBGPU_CONV2D_DW_MATMUL, () => true);

/** Rows (output positions) a matmul chunk should at least have before images are grouped no further. */
const MIN_ROWS_PER_CHUNK = 4096;

/** The smallest divisor g of n with g * positions >= MIN_ROWS_PER_CHUNK (or n). */
function imagesPerChunk(n: number, positions: number): number {
  for (let g = 1; g < n; g++) if (n % g === 0 && g * positions >= MIN_ROWS_PER_CHUNK) return g;
  return n;
}

/** [N, Ho, Wo, kh * kw * Cin]: each output position's receptive field, in the filter's (kh, kw, Cin) order. */
function im2col(scope: KernelScope, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: n, outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw, inChannels: cin, padInfo } = info;
  const { top, bottom, left, right } = padInfo;
  const padded =
    top + bottom + left + right === 0
      ? x
      : scope.run(
          'PadV2',
          { x },
          {
            paddings: [
              [0, 0],
              [top, bottom],
              [left, right],
              [0, 0],
            ],
            constantValue: 0,
          },
        );
  const taps: TensorInfo[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const whole = padded.shape[1] === ho && padded.shape[2] === wo && sh === 1 && sw === 1;
      taps.push(
        whole
          ? padded
          : scope.run(
              'StridedSlice',
              { x: padded },
              {
                begin: [0, i, j, 0],
                end: [n, i + sh * (ho - 1) + 1, j + sw * (wo - 1) + 1, cin],
                strides: [1, sh, sw, 1],
                beginMask: 0,
                endMask: 0,
                ellipsisMask: 0,
                newAxisMask: 0,
                shrinkAxisMask: 0,
              },
            ),
      );
    }
  }
  return taps.length === 1 ? (taps[0] as TensorInfo) : scope.run('Concat', taps, { axis: 3 });
}

/** tfjs flag: the largest im2col tensor built at once; the batch is taken in passes of image chunks below it. */
export const WEBGPU_IM2COL_MAX_BYTES = 'BOT_WEBGPU_IM2COL_MAX_BYTES';
env().registerFlag(WEBGPU_IM2COL_MAX_BYTES, () => 512 * 2 ** 20);

function sliceImages(scope: KernelScope, t: TensorInfo, from: number, count: number): TensorInfo {
  if (from === 0 && count === t.shape[0]) return t;
  const [, h, w, c] = t.shape as [number, number, number, number];
  return scope.run('Slice', { x: t }, { begin: [from, 0, 0, 0], size: [count, h, w, c] });
}

/**
 * dW = sum over positions of im2col(x)^T dy, as batched matmuls over chunks of images, summed at the end.
 * tfjs' webgpu kernel gives each filter element one thread that loops over every position of the batch:
 * a few thousand threads for the early layers of a ResNet, each running hundreds of thousands of steps.
 */
function conv2DBackpropFilterMatMul(
  scope: KernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
  maxColsBytes: number,
): TensorInfo {
  const { batchSize: n, outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw } = info;
  const { inChannels: cin, outChannels: cout } = info;
  const group = imagesPerChunk(n, ho * wo);
  const bytesPerImage = ho * wo * kh * kw * cin * 4;
  const perPass = Math.max(group, Math.floor(maxColsBytes / bytesPerImage / group) * group);
  const partials: TensorInfo[] = [];
  for (let from = 0; from < n; from += perPass) {
    const count = Math.min(perPass, n - from);
    const chunks = count / group;
    const rows = group * ho * wo;
    const cols = im2col(scope, sliceImages(scope, x, from, count), { ...info, batchSize: count });
    const a = scope.reshape(cols, [chunks, rows, kh * kw * cin]);
    const b = scope.reshape(sliceImages(scope, dy, from, count), [chunks, rows, cout]);
    const product = scope.run('BatchMatMul', { a, b }, { transposeA: true, transposeB: false });
    partials.push(
      chunks === 1
        ? scope.reshape(product, [kh * kw * cin, cout])
        : scope.run('Sum', { x: product }, { axis: [0], keepDims: false }),
    );
  }
  const sum = partials.length === 1 ? (partials[0] as TensorInfo) : scope.run('AddN', partials);
  return scope.reshape(sum, [kh, kw, cin, cout]);
}

let stock: KernelConfig | undefined;

const conv2DBackpropFilter: KernelFunc = (args) => {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  if (attrs.dataFormat === 'NCHW' || !env().getBool(WEBGPU_CONV2D_DW_MATMUL)) {
    if (stock === undefined) throw new Error('Conv2DBackpropFilter: the stock webgpu kernel was not bound');
    return stock.kernelFunc(args);
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const binding = (backend as unknown as { device: { limits: { maxStorageBufferBindingSize: number } } })
    .device.limits.maxStorageBufferBindingSize;
  // KernelScope only runs other registered kernels and frees temporaries here; its wasm heap helpers
  // (slice, padOrCrop) are not used on webgpu.
  return withKernelScope(backend as unknown as WasmBackendLike, 'webgpu', (scope) =>
    conv2DBackpropFilterMatMul(
      scope,
      x,
      dy,
      info,
      Math.min(env().getNumber(WEBGPU_IM2COL_MAX_BYTES), binding / 2),
    ),
  );
};

export const conv2DBackpropFilterWebGPUConfig: KernelConfig & { bindStock(config: KernelConfig): void } = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'webgpu',
  kernelFunc: conv2DBackpropFilter,
  bindStock(config: KernelConfig) {
    stock = config;
  },
};
