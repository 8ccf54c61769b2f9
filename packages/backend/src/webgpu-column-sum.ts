import { Mean, Sum, type SumAttrs, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { type WrappingKernelFunc, wrappingStock } from './kernel-registry.js';

const WORKGROUP = 64;
/** Enough threads to fill a GPU: each sums a run of rows of one column. */
const TARGET_THREADS = 65536;

/**
 * Sums a [rows, cols] matrix over its rows, a run of rows per thread: out[chunk, c] is the sum of the rows
 * of `chunk`. Adjacent threads read adjacent columns, so every load is coalesced.
 * A tfjs-backend-webgpu program (the WebGPUProgram interface, which the package does not export).
 */
class ColumnSumProgram {
  readonly variableNames = ['x'];
  readonly uniforms = 'rows : i32, cols : i32, run : i32, scale : f32,';
  readonly workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  readonly shaderKey = 'bot_column_sum';
  readonly outputShape: number[];
  readonly dispatchLayout = { x: [1], y: [0] };
  readonly dispatch: [number, number, number];
  readonly uniformData: { type: 'int32' | 'float32'; data: number[] }[];

  constructor(rows: number, cols: number, chunks: number, scale: number) {
    const run = Math.ceil(rows / chunks);
    this.outputShape = [chunks, cols];
    this.dispatch = [Math.ceil(cols / WORKGROUP), chunks, 1];
    this.uniformData = [
      { type: 'int32', data: [rows] },
      { type: 'int32', data: [cols] },
      { type: 'int32', data: [run] },
      { type: 'float32', data: [scale] },
    ];
  }

  getUserCode(): string {
    return `
      fn main() {
        let c = i32(globalId.x);
        let chunk = i32(workgroupId.y);
        if (c >= uniforms.cols) { return; }
        let first = chunk * uniforms.run;
        let last = min(first + uniforms.run, uniforms.rows);
        var total = 0.0;
        for (var r = first; r < last; r = r + 1) {
          total = total + x[r * uniforms.cols + c];
        }
        result[chunk * uniforms.cols + c] = total * uniforms.scale;
      }
    `;
  }
}

interface Runner {
  runWebGPUProgram(program: object, inputs: TensorInfo[], dtype: 'float32', uniforms: object[]): TensorInfo;
  disposeData(dataId: object): void;
}

/** [rows, cols] (any shape whose size is rows * cols) summed over rows, times `scale`: a new [cols] tensor. */
export function columnSum(backend: Runner, x: TensorInfo, rows: number, cols: number, scale = 1): TensorInfo {
  let current = x;
  let remaining = rows;
  // Chunks of at least 64 rows until one chunk is left; the scale is applied in the last pass.
  for (;;) {
    const chunks = Math.max(1, Math.min(Math.ceil(TARGET_THREADS / cols), Math.floor(remaining / 64)));
    const program = new ColumnSumProgram(remaining, cols, chunks, chunks === 1 ? scale : 1);
    const next = backend.runWebGPUProgram(program, [current], 'float32', program.uniformData);
    if (current !== x) backend.disposeData(current.dataId);
    if (chunks === 1) return { ...next, shape: [cols] };
    current = next;
    remaining = chunks;
  }
}

function leadingAxesReduce(mean: boolean): WrappingKernelFunc {
  return (args, stock) => {
    const x = args.inputs.x as TensorInfo;
    const attrs = args.attrs as unknown as SumAttrs;
    const rank = x.shape.length;
    const axes = util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return stock().kernelFunc(args);
    const rows = util.sizeFromShape(x.shape.slice(0, axes.length));
    const kept = x.shape.slice(axes.length);
    const out = columnSum(
      args.backend as unknown as Runner,
      x,
      rows,
      util.sizeFromShape(kept),
      mean ? 1 / rows : 1,
    );
    return { ...out, shape: attrs.keepDims ? [...axes.map(() => 1), ...kept] : kept };
  };
}

/**
 * Sum and Mean over the leading axes of a float32 tensor (a batch norm's per-channel reductions over N, H
 * and W) as column sums. tfjs' webgpu kernels transpose the input to bring those axes innermost, then give
 * every output element a workgroup of its own.
 */
export const sumWebGPUConfig = wrappingStock(Sum, 'webgpu', leadingAxesReduce(false));

export const meanWebGPUConfig = wrappingStock(Mean, 'webgpu', leadingAxesReduce(true));
