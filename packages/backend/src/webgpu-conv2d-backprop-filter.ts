import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  env,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { type WrappingKernelFunc, wrappingStock } from './kernel-registry.js';
import { columnSum } from './webgpu-column-sum.js';
import { Conv2DBackpropFilterProgram } from './webgpu-conv2d-backprop-filter-program.js';

interface WebGPURunner {
  runWebGPUProgram(program: object, inputs: TensorInfo[], dtype: 'float32', uniforms: object[]): TensorInfo;
  disposeData(dataId: object): void;
}

/**
 * tfjs flag: compute a convolution's filter gradient on webgpu with this package's tiled kernel (true,
 * default) or with tfjs' own (false), for comparisons on a real GPU.
 */
export const WEBGPU_CONV2D_DW_TILED = 'BOT_WEBGPU_CONV2D_DW_TILED';
env().registerFlag(WEBGPU_CONV2D_DW_TILED, () => true);

const conv2DBackpropFilter: WrappingKernelFunc = (args, stock) => {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  if (attrs.dataFormat === 'NCHW' || !env().getBool(WEBGPU_CONV2D_DW_TILED)) {
    return stock().kernelFunc(args);
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
  const program = new Conv2DBackpropFilterProgram(info, Conv2DBackpropFilterProgram.slicesFor(info));
  const runner = backend as unknown as WebGPURunner;
  const partials = runner.runWebGPUProgram(program, [x, dy], 'float32', program.uniformData);
  const [slices, rows, cols] = program.outputShape as [number, number, number];
  const sum = slices === 1 ? partials : columnSum(runner, partials, slices, rows * cols);
  if (sum !== partials) runner.disposeData(partials.dataId);
  return { ...sum, shape: attrs.filterShape };
};

export const conv2DBackpropFilterWebGPUConfig = wrappingStock(
  Conv2DBackpropFilter,
  'webgpu',
  conv2DBackpropFilter,
);
