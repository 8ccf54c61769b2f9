import type { backend_util } from '@tensorflow/tfjs-core';

/** Output tile of one workgroup (filter rows kh*kw*Cin by output channels), and the reduction step. */
const TILE = 32;
const STEP = 16;
/** 8 x 8 threads, each holding a 4 x 4 block of the tile. */
const THREADS = 8;

/**
 * The filter gradient as a tiled matrix product with an implicit im2col:
 *   dW[(i, j, c), o] = sum over positions m = (b, y, x) of x[b, y*sh + i - pt, x*sw + j - pl, c] * dy[m, o]
 * Each workgroup computes a 32 x 32 tile of dW over one slice of the positions (the reduction axis, which
 * is long: batch x output pixels) into `partials[slice]`; the slices are summed afterwards. Receptive fields
 * are read straight from x, so no im2col tensor is built, and index arithmetic is kept out of the inner loop.
 * A tfjs-backend-webgpu program (the WebGPUProgram interface, which the package does not export).
 */
export class Conv2DBackpropFilterProgram {
  readonly variableNames = ['x', 'dy'];
  readonly uniforms =
    'rows : i32, cols : i32, positions : i32, slice : i32, inChannels : i32, filterWidth : i32, outWidth : i32, outHeight : i32, inHeight : i32, inWidth : i32, strides : vec2<i32>, pads : vec2<i32>,';
  readonly workgroupSize: [number, number, number] = [THREADS, THREADS, 1];
  readonly shaderKey = 'bot_conv2d_backprop_filter_tiled';
  readonly outputShape: number[];
  readonly dispatchLayout = { x: [2], y: [1], z: [0] };
  readonly dispatch: [number, number, number];
  /** Uniform values in the order of `uniforms`. */
  readonly uniformData: { type: 'int32'; data: number[] }[];

  constructor(info: backend_util.Conv2DInfo, slices: number) {
    const rows = info.filterHeight * info.filterWidth * info.inChannels;
    const cols = info.outChannels;
    const positions = info.batchSize * info.outHeight * info.outWidth;
    const slice = Math.ceil(positions / slices / STEP) * STEP;
    this.outputShape = [slices, rows, cols];
    this.dispatch = [Math.ceil(cols / TILE), Math.ceil(rows / TILE), slices];
    const int = (...data: number[]) => ({ type: 'int32' as const, data });
    this.uniformData = [
      int(rows),
      int(cols),
      int(positions),
      int(slice),
      int(info.inChannels),
      int(info.filterWidth),
      int(info.outWidth),
      int(info.outHeight),
      int(info.inHeight),
      int(info.inWidth),
      int(info.strideHeight, info.strideWidth),
      int(info.padInfo.top, info.padInfo.left),
    ];
  }

  /** How many slices of the positions keep a GPU busy: about 1024 workgroups, slices of 256 positions or more. */
  static slicesFor(info: backend_util.Conv2DInfo): number {
    const tiles =
      Math.ceil(info.outChannels / TILE) *
      Math.ceil((info.filterHeight * info.filterWidth * info.inChannels) / TILE);
    const positions = info.batchSize * info.outHeight * info.outWidth;
    return Math.max(1, Math.min(Math.ceil(1024 / tiles), Math.floor(positions / 256)));
  }

  getUserCode(): string {
    const per = TILE / THREADS;
    const run = (TILE * STEP) / (THREADS * THREADS);
    // Unrolled in JavaScript: accumulators indexed in a WGSL loop land in memory, not in registers.
    const rows = [0, 1, 2, 3];
    const declare = rows.map((r) => `        var acc${r} = vec4<f32>();`).join('\n');
    const multiply = rows
      .map((r) => `            acc${r} = fma(vec4<f32>(tileX[s][ty * ${per} + ${r}]), d, acc${r});`)
      .join('\n');
    const store = rows
      .map(
        (r) => `        {
          let row = row0 + ty * ${per} + ${r};
          let col = col0 + tx * ${per};
          if (row < uniforms.rows) {
            let base = (slice * uniforms.rows + row) * uniforms.cols + col;
${[0, 1, 2, 3].map((n) => `            if (col + ${n} < uniforms.cols) { result[base + ${n}] = acc${r}[${n}]; }`).join('\n')}
          }
        }`,
      )
      .join('\n');
    return `
      var<workgroup> tileX : array<array<f32, ${TILE}>, ${STEP}>;
      var<workgroup> tileDy : array<array<f32, ${TILE}>, ${STEP}>;

      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let thread = ty * ${THREADS} + tx;
        let col0 = i32(workgroupId.x) * ${TILE};
        let row0 = i32(workgroupId.y) * ${TILE};
        let slice = i32(workgroupId.z);
        let first = slice * uniforms.slice;
        let end = min(first + uniforms.slice, uniforms.positions);

        // Each thread loads one lane of the tiles (a filter row k = (i, j, c) of x's receptive fields, and an
        // output channel o of dy) at ${run} consecutive positions: k is decoded once, positions step by one.
        let lane = thread % ${TILE};
        let group = thread / ${TILE};
        let k = row0 + lane;
        let rowLive = k < uniforms.rows;
        let c = k % uniforms.inChannels;
        let ij = k / uniforms.inChannels;
        let j = ij % uniforms.filterWidth;
        let i = ij / uniforms.filterWidth;
        let o = col0 + lane;
        let colLive = o < uniforms.cols;

${declare}
        // The trip count depends on uniforms only (workgroupId is a private copy, which WGSL does not treat
        // as uniform), so the barriers stay in uniform control flow; the last slice masks its tail.
        for (var offset = 0; offset < uniforms.slice; offset = offset + ${STEP}) {
          let m0 = first + offset + group * ${run};
          var ox = m0 % uniforms.outWidth;
          let u = m0 / uniforms.outWidth;
          var oy = u % uniforms.outHeight;
          var b = u / uniforms.outHeight;
          for (var e = 0; e < ${run}; e = e + 1) {
            let m = m0 + e;
            let live = m < end;
            var xv = 0.0;
            let r = oy * uniforms.strides.x + i - uniforms.pads.x;
            let q = ox * uniforms.strides.y + j - uniforms.pads.y;
            if (live && rowLive && r >= 0 && r < uniforms.inHeight && q >= 0 && q < uniforms.inWidth) {
              xv = x[((b * uniforms.inHeight + r) * uniforms.inWidth + q) * uniforms.inChannels + c];
            }
            var g = 0.0;
            if (live && colLive) {
              g = dy[m * uniforms.cols + o];
            }
            tileX[group * ${run} + e][lane] = xv;
            tileDy[group * ${run} + e][lane] = g;
            ox = ox + 1;
            if (ox == uniforms.outWidth) {
              ox = 0;
              oy = oy + 1;
              if (oy == uniforms.outHeight) {
                oy = 0;
                b = b + 1;
              }
            }
          }
          workgroupBarrier();
          for (var s = 0; s < ${STEP}; s = s + 1) {
            let d = vec4<f32>(${[0, 1, 2, 3].map((n) => `tileDy[s][tx * ${per} + ${n}]`).join(', ')});
${multiply}
          }
          workgroupBarrier();
        }
${store}
      }
    `;
  }
}
