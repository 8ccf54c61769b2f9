import { type GeometryOp, planStages, type Size } from '../geometry.js';

/**
 * Where one sample's output grid reads its input, per axis: output pixel `o` reads input coordinate
 * `x0 + o * dx` (pixel centres at integers; `dx < 0` when the sample is mirrored), clamped into the crop
 * [xMin, xMax]. This is bilinear interpolation without antialiasing: the sampling positions are those of
 * PIL's and torchvision's bilinear resize (half-pixel centres, edges clamped at the crop's border, as
 * cropping first and resizing second does), but each output pixel blends only its two nearest input pixels
 * per axis, where PIL widens its filter when shrinking.
 */
export interface Sampling {
  x0: number;
  dx: number;
  y0: number;
  dy: number;
  /** The crop's first and last column and row: reads clamp into them. They may lie outside the image (a
   * crop that pads, as RandomCrop's `padding`), where pixels read `fill`. */
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  /** The value of pixels outside the image. */
  fill: number;
  /** Output size. */
  width: number;
  height: number;
}

/** One axis: a crop [start, start + len) of the input, resized to `resized`, then cropped to [post, post + out). */
function axis(start: number, len: number, resized: number, post: number): { c0: number; d: number } {
  if (resized === len) return { c0: start + post, d: 1 };
  const d = len / resized;
  return { c0: start - 0.5 + (post + 0.5) * d, d };
}

/**
 * The sampling grid of a list of geometry operations (as `GeometryTransform.plan` returns them) on an image of
 * `size`. The operations must fold into one crop (which may pad), one resize, one crop of the resized image
 * and a flip (what RandomResizedCrop, RandomCrop with or without padding, CenterCrop, Resize and the flips
 * plan); anything else is a RangeError.
 */
export function samplingOf(ops: readonly GeometryOp[], size: Size): Sampling {
  const stages = planStages(ops, size);
  if (stages.length !== 1) {
    throw new RangeError(
      `the tensor path runs one crop + resize + crop + flip per sample; these geometry ops need ${stages.length} stages: ${JSON.stringify(ops)}`,
    );
  }
  const stage = stages[0] as (typeof stages)[number];
  const pre = stage.pre ?? { left: 0, top: 0, width: size.width, height: size.height, fill: 0 };
  const resized = stage.resize ?? { width: pre.width, height: pre.height };
  const post = stage.post ?? { left: 0, top: 0, width: resized.width, height: resized.height };
  const x = axis(pre.left, pre.width, resized.width, post.left);
  const y = axis(pre.top, pre.height, resized.height, post.top);
  const width = post.width;
  const bounds = {
    xMin: pre.left,
    xMax: pre.left + pre.width - 1,
    yMin: pre.top,
    yMax: pre.top + pre.height - 1,
    fill: pre.fill,
  };
  if (stage.hflip) {
    return {
      x0: x.c0 + (width - 1) * x.d,
      dx: -x.d,
      y0: y.c0,
      dy: y.d,
      ...bounds,
      width,
      height: post.height,
    };
  }
  return { x0: x.c0, dx: x.d, y0: y.c0, dy: y.d, ...bounds, width, height: post.height };
}

/** One axis of `samplingOnResized`: a position u of the source is (u + 0.5) * k - 0.5 in the copy. */
function resizedAxis(c0: number, d: number, min: number, max: number, k: number) {
  // The crop covers source edges [min - 0.5, max + 0.5]: the copy's pixels whose centres lie in it, or the
  // nearest one when the crop is narrower than a pixel of the copy.
  let lo = Math.ceil(min * k - 0.5);
  let hi = Math.floor((max + 1) * k - 0.5);
  if (hi < lo) {
    lo = Math.round(((min + max + 1) / 2) * k - 0.5);
    hi = lo;
  }
  return { c0: (c0 + 0.5) * k - 0.5, d: d * k, min: lo, max: hi };
}

/**
 * A sampling planned on an image of `source` size, moved onto a copy of that image resized to `stored`
 * (each axis scaled on its own, as resizing to a fixed size does): it reads the same places of the picture,
 * in the copy's pixel coordinates. This is how a batch of images stored at one common size is augmented with
 * the crop boxes drawn on each image's own size (`plan(sourceSize, ...)`), as the per-image path draws them.
 * The identity when the sizes are equal. Reads clamp into the copy's pixels covering the crop.
 */
export function samplingOnResized(sampling: Sampling, source: Size, stored: Size): Sampling {
  for (const [name, size] of [
    ['source', source],
    ['stored', stored],
  ] as const) {
    if (
      !(Number.isInteger(size.width) && Number.isInteger(size.height) && size.width > 0 && size.height > 0)
    ) {
      throw new RangeError(`${name} must be a size of positive integers, got ${JSON.stringify(size)}`);
    }
  }
  if (source.width === stored.width && source.height === stored.height) return sampling;
  const s = sampling;
  const x = resizedAxis(s.x0, s.dx, s.xMin, s.xMax, stored.width / source.width);
  const y = resizedAxis(s.y0, s.dy, s.yMin, s.yMax, stored.height / source.height);
  return {
    ...s,
    x0: x.c0,
    dx: x.d,
    xMin: x.min,
    xMax: x.max,
    y0: y.c0,
    dy: y.d,
    yMin: y.min,
    yMax: y.max,
  };
}
