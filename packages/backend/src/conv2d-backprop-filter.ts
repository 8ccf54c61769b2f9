import {
  backend_util,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { backpropFilterTapsOnGemm } from './conv2d-backprop-filter-gemm.js';
import {
  batchInsideSpatial,
  batchToChannels,
  im2colChannelsFirst,
  phaseSplitChannelsFirst,
} from './heap-layout.js';
import { wasmGemmChoice } from './wasm-gemm.js';
import { type KernelScope, type WasmBackendLike, withKernelScope } from './wasm-kernel-scope.js';

/**
 * XNNPACK's matmul streams the whole contraction dimension per output tile, which falls out of cache
 * when it is N*H*W long; contracting in chunks of rows and summing keeps it in cache. With few
 * channels each matmul is tiny and the per-call cost dominates, so the chunk grows to about this many
 * multiply-adds per call.
 */
const chunkMacs = 1 << 21;
const minRowChunk = 2048;
const maxRowChunk = 32768;
/**
 * From this batch size on, a stride-1 filter larger than 1x1 gets its dW as one forward convolution
 * over the batch (`backpropFilterByConv`): measured faster for every layer of a width-1/8 ResNet-18 at
 * batch 128, slower for ResNet-50's layers at batch 2, where the batch is the contraction of each tap.
 */
const minBatchForConv = 32;

function rowChunkFor(cin: number, cout: number): number {
  return Math.max(minRowChunk, Math.min(maxRowChunk, Math.floor(chunkMacs / (cin * cout))));
}
/**
 * XNNPACK packs a matmul's right operand [K, N] anew for every new tensor, reading it with a stride
 * of N floats; once K*N is past a few MB that packing costs more than the multiply itself when the
 * left operand has few rows (56x56 64->256 at batch 4: 63 ms for x^T dy, 32 ms for (dy^T x)^T).
 */
const minPackedRowsTimesCols = 1 << 20;

/** Above this ratio of shift-grid positions to output positions, im2col in chunks is cheaper. */
const maxGridWaste = 1.2;

/**
 * dW[i, j, ci, co] = sum over (n, oh, ow) of x[n, s*oh + i - padTop, s*ow + j - padLeft, ci] * dy[n, oh, ow, co].
 *
 * The input is padded and split into its s*s stride phases, and laid out channel-first once
 * ([s*s, Cin, N*Hq*Wq]); dy is zero-padded to the phase grid [N, Hq, Wq, Cout]. On that grid every
 * filter tap is a plain shift by (i/s)*Wq + j/s rows, so each tap is a slice and XNNPACK matmuls
 * [Cin, R] x [R, Cout]: no im2col buffer and no transposed-A matmul (slow on wasm). The padded rows
 * and columns of dy are zero, so the rows a shift wraps into contribute nothing.
 */
export function conv2DBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: WasmBackendLike;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (backend_util.convertConv2DDataFormat(dataFormat) !== 'channelsLast') {
    throw new Error(`Conv2DBackpropFilter on wasm supports dataFormat 'NHWC' only, got '${dataFormat}'`);
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: n, inChannels: cin, outChannels: cout, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;

  const pointwise = kh * kw * sh * sw === 1;
  const tapsH = Math.ceil(kh / sh);
  const tapsW = Math.ceil(kw / sw);
  const hq = ho + tapsH - 1;
  const wq = wo + tapsW - 1;
  const gridFits = hq * wq <= maxGridWaste * ho * wo;
  const { path } = wasmGemmChoice();
  // The microkernels' flavour where every tap runs on them in place (`backpropFilterTapsOnGemm`): measured
  // (CPU time, batch 4, against the routes below on the same microkernels, switched by a temporary flag) it
  // wins wherever the shift grid fits (ResNet-50-D at 224 px: 56x56x64 1.46x, 28x28x128 1.35x, the
  // stride-2 3x3s 1.07-1.11x; at batch 32 over the convolution by batch: 28x28x32 1.3-1.7x; the 3-channel
  // stride-2 stem 1.3-1.5x) and loses where it does not (14x14x256 0.96x, 7x7 and smaller 0.5-0.9x: the
  // grid's padding is computed too). Against XNNPACK, per layer of the whole dW: 1.1-2.5x
  // (bench/conv-layers.bench.ts).
  const onGemm = path !== 'xnnpack' && !pointwise && gridFits ? path : undefined;
  if (onGemm === undefined && sh === 1 && sw === 1 && kh * kw > 1 && n >= minBatchForConv) {
    return backpropFilterByConv(backend, x, dy, info);
  }
  if (pointwise && cout > cin && n * ho * wo * cout >= minPackedRowsTimesCols) {
    return backpropFilterPointwiseByTransposedDy(backend, x, dy);
  }
  // A 1x1 stride-1 filter is one matmul over the whole transposed input: measured ~2x faster than
  // chunks on ResNet-50's layers, where chunking copies every chunk of x out of the grid first.
  const rowChunk = pointwise ? Number.POSITIVE_INFINITY : rowChunkFor(cin, cout);
  if (!gridFits) {
    return backpropFilterByIm2col(backend, x, dy, info);
  }

  return withKernelScope(backend, 'wasm', (scope) => {
    const phaseRows = n * hq * wq;
    const phases =
      sh === 1 && sw === 1
        ? channelsFirstGrid(scope, x, { padTop, padLeft, hq, wq })
        : phaseSplitChannelsFirst(scope, x, { padTop, padLeft, sh, sw, hq, wq });

    const maxShift = (tapsH - 1) * wq + (tapsW - 1);
    const rows = phaseRows - maxShift;
    const dyGrid = scope.padOrCrop(dy, [
      [0, 0],
      [0, hq - ho],
      [0, wq - wo],
      [0, 0],
    ]);
    const dyFlat = scope.reshape(dyGrid, [phaseRows, cout]);
    if (onGemm !== undefined) {
      return backpropFilterTapsOnGemm(scope, phases, dyFlat, { kh, kw, sh, sw, wq, rows }, onGemm);
    }

    const partials: TensorInfo[][] = Array.from({ length: kh * kw }, () => []);
    for (let r0 = 0; r0 < rows; r0 += rowChunk) {
      const chunk = Math.min(rowChunk, rows - r0);
      const whole = chunk === phaseRows;
      // Shared by every tap, so XNNPACK packs it once (its operator cache is keyed by tensor).
      const dyChunk = whole ? dyFlat : scope.slice(dyFlat, [r0, 0], [chunk, cout]);
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const phase = (i % sh) * sw + (j % sw);
          const shift = Math.floor(i / sh) * wq + Math.floor(j / sw);
          const xTap = scope.reshape(
            whole && sh * sw === 1 ? phases : scope.slice(phases, [phase, 0, shift + r0], [1, cin, chunk]),
            [cin, chunk],
          );
          (partials[i * kw + j] as TensorInfo[]).push(scope.matMul(xTap, dyChunk));
        }
      }
    }
    const taps = partials.map((parts) => {
      const sum = parts.length === 1 ? (parts[0] as TensorInfo) : scope.run('AddN', parts);
      return scope.reshape(sum, [1, cin * cout]);
    });
    const stacked = taps.length === 1 ? (taps[0] as TensorInfo) : scope.run('Concat', taps, { axis: 0 });
    return scope.reshape(stacked, [kh, kw, cin, cout]);
  });
}

/**
 * A 1x1 stride-1 filter that widens the channels: dW^T = dy^T x as [Cout, rows] x [rows, Cin], so
 * the operand XNNPACK packs is x, the narrow one, then transposed back to [1, 1, Cin, Cout].
 */
function backpropFilterPointwiseByTransposedDy(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
): TensorInfo {
  const cin = x.shape[3] as number;
  const cout = dy.shape[3] as number;
  return withKernelScope(backend, 'wasm', (scope) => {
    const rows = util.sizeFromShape(x.shape) / cin;
    const dyT = scope.transpose(scope.reshape(dy, [rows, cout]), [1, 0]);
    const dwT = scope.matMul(dyT, scope.reshape(x, [rows, cin]));
    return scope.reshape(scope.transpose(dwT, [1, 0]), [1, 1, cin, cout]);
  });
}

/**
 * Small feature maps, where the shift grid's padding would cost more than it saves: builds the
 * transposed im2col matrix a chunk of output positions at a time (never all of it) and contracts it
 * with the matching rows of dy in one matmul [kh*kw*Cin, rows] x [rows, Cout] per chunk, which is
 * already dW's [kh, kw, Cin, Cout] layout.
 */
function backpropFilterByIm2col(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: n, inChannels: cin, outChannels: cout, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw, outHeight: outH, outWidth: outW } = info;
  const geometry = { kh, kw, sh, sw, padTop: info.padInfo.top, padLeft: info.padInfo.left, outH, outW };
  return withKernelScope(backend, 'wasm', (scope) => {
    const rows = n * outH * outW;
    const rowChunk = rowChunkFor(kh * kw * cin, cout);
    const dyFlat = scope.reshape(dy, [rows, cout]);
    const partials: TensorInfo[] = [];
    for (let r0 = 0; r0 < rows; r0 += rowChunk) {
      const chunk = Math.min(rowChunk, rows - r0);
      const cols = im2colChannelsFirst(scope, x, geometry, r0, chunk);
      const dyChunk = chunk === rows ? dyFlat : scope.slice(dyFlat, [r0, 0], [chunk, cout]);
      partials.push(scope.matMul(cols, dyChunk));
    }
    const sum = partials.length === 1 ? (partials[0] as TensorInfo) : scope.run('AddN', partials);
    return scope.reshape(sum, [kh, kw, cin, cout]);
  });
}

/**
 * dW as one XNNPACK forward convolution that contracts over the batch: the input is x laid out
 * [Cin, H, W, N] (Cin images of N channels), the filter is dy laid out [Ho, Wo, N, Cout], the dilation
 * is the forward stride and the padding the forward padding, so output pixel (ci, i, j) is
 * sum over (oh, ow, n) of x[n, s*oh + i - padTop, s*ow + j - padLeft, ci] * dy[n, oh, ow, co].
 * Rows and columns of x that no tap reaches are cropped (XNNPACK takes no negative padding).
 */
function backpropFilterByConv(
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, inHeight: h, inWidth: w } = info;
  const { top, left } = info.padInfo;
  // The last input row (column) a tap reads, plus one.
  const rowsRead = Math.min(h, kh - 1 + sh * (ho - 1) - top + 1);
  const colsRead = Math.min(w, kw - 1 + sw * (wo - 1) - left + 1);
  const bottom = kh - 1 + sh * (ho - 1) - top - rowsRead + 1;
  const right = kw - 1 + sw * (wo - 1) - left - colsRead + 1;
  return withKernelScope(backend, 'wasm', (scope) => {
    const input = batchToChannels(scope, x, rowsRead, colsRead);
    const filter = batchInsideSpatial(scope, dy);
    const out = scope.run(
      'Conv2D',
      { x: input, filter },
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        dilations: [sh, sw],
        dimRoundingMode: undefined,
      },
    );
    // [Cin, kh, kw, Cout] -> [kh, kw, Cin, Cout]
    return scope.transpose(out, [1, 2, 0, 3]);
  });
}

/**
 * The stride-1 case of `phaseSplitChannelsFirst`: x zero-padded (or cropped) to the grid [N, hq, wq, C]
 * and transposed to [1, C, N*hq*wq] by a 2-D Transpose (this package's SIMD kernel where the sides are
 * multiples of 4), several times faster than the element-wise scatter the strided split needs.
 */
function channelsFirstGrid(
  scope: KernelScope,
  x: TensorInfo,
  grid: { padTop: number; padLeft: number; hq: number; wq: number },
): TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const { padTop, padLeft, hq, wq } = grid;
  const padded = scope.padOrCrop(x, [
    [0, 0],
    [padTop, hq - h - padTop],
    [padLeft, wq - w - padLeft],
    [0, 0],
  ]);
  const transposed = scope.transpose(scope.reshape(padded, [n * hq * wq, c]), [1, 0]);
  return scope.reshape(transposed, [1, c, n * hq * wq]);
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as unknown as KernelFunc,
};
