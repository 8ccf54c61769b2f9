import {
  add,
  gather,
  image,
  mul,
  reshape,
  sub,
  type Tensor4D,
  tensor1d,
  tensor2d,
  tensor4d,
  pad as tfPad,
  tidy,
  transpose,
} from '@tensorflow/tfjs-core';
import type { Sampling } from './sampling.js';

interface AxisPlan {
  lo: Int32Array;
  hi: Int32Array;
  weight: Float32Array;
  /** Every sample reads its input pixels 0..n-1 in order: the pass can be skipped. */
  identity: boolean;
}

interface AxisGrid {
  c0: number;
  d: number;
  min: number;
  max: number;
}

/**
 * The two taps and the weight of the second for every sample's every output position along one axis, in
 * the coordinates of the image padded by `pad` on each side.
 */
function axisPlan(
  samplings: readonly Sampling[],
  inSize: number,
  outSize: number,
  pad: number,
  pick: (s: Sampling) => AxisGrid,
): AxisPlan {
  const n = samplings.length;
  const lo = new Int32Array(n * outSize);
  const hi = new Int32Array(n * outSize);
  const weight = new Float32Array(n * outSize);
  let identity = outSize === inSize;
  for (const [i, s] of samplings.entries()) {
    const g = pick(s);
    const [c0, d, min, max] = [g.c0 + pad, g.d, g.min + pad, g.max + pad];
    for (let o = 0; o < outSize; o++) {
      const c = Math.min(Math.max(c0 + o * d, min), max);
      const a = Math.floor(c);
      const k = i * outSize + o;
      lo[k] = a;
      hi[k] = Math.min(a + 1, max);
      weight[k] = c - a;
      if (c !== o) identity = false;
    }
  }
  return { lo, hi, weight, identity };
}

/**
 * Blends the two taps along axis 1 (rows) of every sample: one gather per tap on the batch seen as rows of
 * [N * H, W * C], with each sample's row indices offset by n * H. (A batched gather, `batchDims` 1, would say
 * the same more briefly, but tfjs-backend-wasm 4.22 reads out of bounds with it from a batch of about 32.)
 */
function rowPass(x: Tensor4D, plan: AxisPlan, outSize: number): Tensor4D {
  const [n, h, w, c] = x.shape;
  const flat = reshape(x, [n * h, w * c]);
  const offset = (k: number) => Math.floor(k / outSize) * h;
  const lo = tensor1d(
    plan.lo.map((v, k) => v + offset(k)),
    'int32',
  );
  const a = reshape(gather(flat, lo, 0), [n, outSize, w, c]) as Tensor4D;
  if (plan.weight.every((v) => v === 0)) return a;
  const hi = tensor1d(
    plan.hi.map((v, k) => v + offset(k)),
    'int32',
  );
  const b = reshape(gather(flat, hi, 0), [n, outSize, w, c]) as Tensor4D;
  return add(a, mul(sub(b, a), tensor4d(plan.weight, [n, outSize, 1, 1])));
}

/** The same along axis 2 (columns), as rows of the batch with height and width swapped. */
function columnPass(x: Tensor4D, plan: AxisPlan, outSize: number): Tensor4D {
  const swapped = transpose(x, [0, 2, 1, 3]) as Tensor4D;
  return transpose(rowPass(swapped, plan, outSize), [0, 2, 1, 3]) as Tensor4D;
}

/**
 * Bilinear resampling of a float32 NHWC batch, each sample on its own grid (see `Sampling`), as separable
 * gathers along rows and columns (kernels on every backend: cpu, wasm, webgl, webgpu). Reads clamp at the
 * border of each sample's crop, as resizing a cropped image does in PIL and torchvision; a crop that reaches
 * outside the image reads its `fill` there (the batch is padded once, by the largest overhang).
 */
export function resampleBatch(images: Tensor4D, samplings: readonly Sampling[]): Tensor4D {
  const [n, height, width] = images.shape;
  if (samplings.length !== n) {
    throw new RangeError(`samplings has ${samplings.length} entries but the batch has ${n} images`);
  }
  const first = samplings[0];
  if (!first) return images.clone();
  for (const [i, s] of samplings.entries()) {
    if (s.width !== first.width || s.height !== first.height) {
      throw new RangeError(
        `every sample must come out the same size: samplings[${i}] is ${s.width}x${s.height}, samplings[0] ${first.width}x${first.height}`,
      );
    }
    if (s.xMin > s.xMax || s.yMin > s.yMax) {
      throw new RangeError(
        `samplings[${i}] crops columns ${s.xMin}..${s.xMax} and rows ${s.yMin}..${s.yMax}: empty`,
      );
    }
  }
  // Every sample shrinks along both axes: no read reaches past its crop's border, so no clamping is needed and
  // one cropAndResize (a single native kernel on every backend, much faster than gathers on CPU backends)
  // samples the same positions, up to float32 rounding of the normalised box.
  if (samplings.every((s) => Math.abs(s.dx) > 1 && s.dy > 1)) return cropAndResizeAll(images, samplings);
  const pad = Math.max(
    0,
    ...samplings.map((s) => Math.max(-s.xMin, -s.yMin, s.xMax - (width - 1), s.yMax - (height - 1))),
  );
  const fill = first.fill;
  if (pad > 0 && samplings.some((s) => s.fill !== fill)) {
    throw new RangeError(
      `crops that pad must share one fill value, got ${[...new Set(samplings.map((s) => s.fill))].join(', ')}`,
    );
  }
  const rows = axisPlan(samplings, height + 2 * pad, first.height, pad, (s) => ({
    c0: s.y0,
    d: s.dy,
    min: s.yMin,
    max: s.yMax,
  }));
  const cols = axisPlan(samplings, width + 2 * pad, first.width, pad, (s) => ({
    c0: s.x0,
    d: s.dx,
    min: s.xMin,
    max: s.xMax,
  }));
  return tidy(() => {
    let x =
      pad === 0
        ? images
        : (tfPad(
            images,
            [
              [0, 0],
              [pad, pad],
              [pad, pad],
              [0, 0],
            ],
            fill,
          ) as Tensor4D);
    // The pass that shrinks the tensor more goes first (gathers cost about their output size).
    const [, hp, wp] = x.shape;
    const rowsFirst = first.height * wp <= hp * first.width;
    if (rowsFirst) {
      if (!rows.identity) x = rowPass(x, rows, first.height);
      if (!cols.identity) x = columnPass(x, cols, first.width);
    } else {
      if (!cols.identity) x = columnPass(x, cols, first.width);
      if (!rows.identity) x = rowPass(x, rows, first.height);
    }
    return x === images ? images.clone() : x;
  });
}

function cropAndResizeAll(images: Tensor4D, samplings: readonly Sampling[]): Tensor4D {
  const [n, height, width] = images.shape;
  const first = samplings[0] as Sampling;
  const boxes = new Float32Array(n * 4);
  for (const [i, s] of samplings.entries()) {
    boxes[4 * i] = s.y0 / (height - 1);
    boxes[4 * i + 1] = s.x0 / (width - 1);
    boxes[4 * i + 2] = (s.y0 + (s.height - 1) * s.dy) / (height - 1);
    boxes[4 * i + 3] = (s.x0 + (s.width - 1) * s.dx) / (width - 1);
  }
  return tidy(() =>
    image.cropAndResize(
      images,
      tensor2d(boxes, [n, 4]),
      tensor1d(
        Array.from({ length: n }, (_, i) => i),
        'int32',
      ),
      [first.height, first.width],
      'bilinear',
    ),
  );
}
