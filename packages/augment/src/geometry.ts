import { type ImageTensor, imageSize } from './image-tensor.js';
import { resampleBilinear } from './resample.js';

/** A rectangle in pixels; it may reach outside the image, where it reads the fill value (padding). */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Size {
  width: number;
  height: number;
}

/**
 * One geometric step with its parameters fixed. Transforms turn random draws into these, and the pipeline
 * runs a whole run of them at once (one decode, one crop, one resize).
 */
export type GeometryOp =
  | ({ type: 'crop'; fill?: number } & Box)
  | { type: 'resize'; width: number; height: number }
  | { type: 'hflip' };

/**
 * How resizing is done. `pil`: every axis by this package's port of PIL's bilinear filter (within 1 grey level
 * of torchvision on PIL images). `fast`: libvips shrinks the axes that get smaller (its linear kernel, a few
 * grey levels from PIL) and the PIL filter enlarges the others.
 */
export type Resampler = 'pil' | 'fast';

export function sizeAfter(size: Size, op: GeometryOp): Size {
  if (op.type === 'crop' || op.type === 'resize') return { width: op.width, height: op.height };
  return size;
}

export function checkBox(box: Box, name: string): void {
  for (const k of ['left', 'top'] as const) {
    if (!Number.isInteger(box[k])) throw new RangeError(`${name}.${k} must be an integer, got ${box[k]}`);
  }
  for (const k of ['width', 'height'] as const) {
    if (!Number.isInteger(box[k]) || box[k] < 1) {
      throw new RangeError(`${name}.${k} must be a positive integer, got ${box[k]}`);
    }
  }
}

/** A run of operations that one decode + crop + resize + crop + flip carries out. */
export interface Stage {
  /** Crop of the stage's input (may pad), or null. */
  pre: (Box & { fill: number }) | null;
  /** Output size of the resize, or null. */
  resize: Size | null;
  /** Crop of the resized image, inside its bounds, or null. */
  post: Box | null;
  hflip: boolean;
}

function inside(box: Box, size: Size): boolean {
  return (
    box.left >= 0 && box.top >= 0 && box.left + box.width <= size.width && box.top + box.height <= size.height
  );
}

/**
 * Folds a list of operations on an image of `size` into stages. A flip commutes with resizing and moves past
 * a crop by mirroring it, so each stage ends with at most one flip.
 */
export function planStages(ops: readonly GeometryOp[], size: Size): Stage[] {
  const stages: Stage[] = [];
  let stage: Stage = { pre: null, resize: null, post: null, hflip: false };
  let cur = size;
  const flush = () => {
    stages.push(stage);
    stage = { pre: null, resize: null, post: null, hflip: false };
  };
  for (const op of ops) {
    if (op.type === 'hflip') {
      stage.hflip = !stage.hflip;
      continue;
    }
    if (op.type === 'resize') {
      if (stage.resize !== null || stage.post !== null) flush();
      if (op.width !== cur.width || op.height !== cur.height)
        stage.resize = { width: op.width, height: op.height };
      cur = { width: op.width, height: op.height };
      continue;
    }
    // A crop of the flipped image is the mirrored crop of the unflipped one.
    const box: Box = {
      left: stage.hflip ? cur.width - op.left - op.width : op.left,
      top: op.top,
      width: op.width,
      height: op.height,
    };
    const fill = op.fill ?? 0;
    if (stage.resize === null) {
      if (stage.pre === null) {
        stage.pre = { ...box, fill };
      } else if (inside(box, cur)) {
        stage.pre = {
          ...box,
          left: stage.pre.left + box.left,
          top: stage.pre.top + box.top,
          fill: stage.pre.fill,
        };
      } else {
        flush();
        stage.pre = { ...box, fill };
      }
    } else if (!inside(box, cur)) {
      flush();
      stage.pre = { ...box, fill };
    } else if (stage.post === null) {
      stage.post = box;
    } else {
      stage.post = { ...box, left: stage.post.left + box.left, top: stage.post.top + box.top };
    }
    cur = { width: box.width, height: box.height };
  }
  if (stage.pre || stage.resize || stage.post || stage.hflip || stages.length === 0) stages.push(stage);
  return stages;
}

/** Crops HWC pixels to `box`, filling what lies outside with `fill`. */
export function cropPixels(
  src: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  box: Box,
  fill = 0,
): Float32Array {
  const out = new Float32Array(box.width * box.height * channels);
  if (fill !== 0) out.fill(fill);
  const x0 = Math.max(0, box.left);
  const x1 = Math.min(width, box.left + box.width);
  const y0 = Math.max(0, box.top);
  const y1 = Math.min(height, box.top + box.height);
  if (x1 <= x0 || y1 <= y0) return out;
  const rowLen = (x1 - x0) * channels;
  for (let y = y0; y < y1; y++) {
    const from = (y * width + x0) * channels;
    const to = ((y - box.top) * box.width + (x0 - box.left)) * channels;
    if (src instanceof Float32Array || src instanceof Uint8Array) {
      out.set(src.subarray(from, from + rowLen), to);
    } else {
      for (let i = 0; i < rowLen; i++) out[to + i] = src[from + i] as number;
    }
  }
  return out;
}

/** Mirrors HWC pixels left to right in place. */
export function hflipInPlace(data: Float32Array, width: number, height: number, channels: number): void {
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let a = 0, b = width - 1; a < b; a++, b--) {
      const pa = row + a * channels;
      const pb = row + b * channels;
      for (let c = 0; c < channels; c++) {
        const t = data[pa + c] as number;
        data[pa + c] = data[pb + c] as number;
        data[pb + c] = t;
      }
    }
  }
}

/** A float copy of HWC pixels mirrored left to right (conversion and flip in one pass). */
function mirroredCopy(src: ArrayLike<number>, width: number, height: number, channels: number): Float32Array {
  const out = new Float32Array(width * height * channels);
  const row = width * channels;
  for (let y = 0; y < height; y++) {
    const base = y * row;
    for (let x = 0; x < width; x++) {
      const from = base + x * channels;
      const to = base + (width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = src[from + c] as number;
    }
  }
  return out;
}

/**
 * Runs one stage on HWC pixels in JS. `quantize` rounds after each resize pass (8-bit sources, as PIL);
 * float sources keep full precision.
 */
export function runStageOnPixels(
  data: Float32Array | Uint8Array,
  size: Size,
  channels: number,
  stage: Stage,
  quantize: boolean,
): { data: Float32Array; size: Size } {
  let cur: Float32Array | Uint8Array = data;
  let curSize = size;
  if (stage.pre) {
    cur = cropPixels(cur, curSize.width, curSize.height, channels, stage.pre, stage.pre.fill);
    curSize = { width: stage.pre.width, height: stage.pre.height };
  }
  if (stage.resize) {
    cur = resampleBilinear(
      cur,
      curSize.width,
      curSize.height,
      channels,
      stage.resize.width,
      stage.resize.height,
      { quantize },
    );
    curSize = stage.resize;
  }
  if (stage.post) {
    cur = cropPixels(cur, curSize.width, curSize.height, channels, stage.post);
    curSize = { width: stage.post.width, height: stage.post.height };
  }
  const owned = cur !== data && cur instanceof Float32Array;
  if (stage.hflip && !owned)
    return { data: mirroredCopy(cur, curSize.width, curSize.height, channels), size: curSize };
  const out = owned ? (cur as Float32Array) : Float32Array.from(cur);
  if (stage.hflip) hflipInPlace(out, curSize.width, curSize.height, channels);
  return { data: out, size: curSize };
}

/** Applies geometry operations to a decoded HWC image in JS (float precision throughout). */
export function geometryOnTensor(image: ImageTensor, ops: readonly GeometryOp[]): ImageTensor {
  if (image.layout !== 'hwc') throw new RangeError(`image.layout must be 'hwc' here, got '${image.layout}'`);
  const { width, height, channels } = imageSize(image);
  let size: Size = { width, height };
  let data = image.data;
  for (const stage of planStages(ops, size)) {
    const r = runStageOnPixels(data, size, channels, stage, false);
    data = r.data;
    size = r.size;
  }
  return { data, shape: [size.height, size.width, channels], layout: 'hwc' };
}

/**
 * Decoded 8-bit HWC pixels whose last geometry step, a left-right flip when `hflip`, has not run yet: the
 * pipeline converts them to float in the same pass as the pixel work that follows.
 */
export interface DecodedBytes {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
  hflip: boolean;
}

/** The float HWC image of decoded bytes, flipped when they say so (what the JS path does with them). */
export function bytesToTensor(bytes: DecodedBytes): ImageTensor {
  const { data, width, height, channels, hflip } = bytes;
  const stage: Stage = { pre: null, resize: null, post: null, hflip };
  const out = runStageOnPixels(data, { width, height }, channels, stage, true);
  return { data: out.data, shape: [height, width, channels], layout: 'hwc' };
}
