/** Memory order of an image: `hwc` = [height, width, channels] (tfjs NHWC), `chw` = [channels, height, width] (PyTorch). */
export type Layout = 'hwc' | 'chw';

/**
 * A decoded image as a flat Float32Array with its shape. Pixel values are on the 0-255 scale until a
 * `Normalize` transform maps them; `shape` is [H, W, C] for `hwc` and [C, H, W] for `chw`.
 */
export interface ImageTensor {
  data: Float32Array;
  shape: [number, number, number];
  layout: Layout;
}

/** Decoded 8-bit or float pixels in HWC order, e.g. straight from a decoder or a dataset file. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  channels: number;
}

export function isImageTensor(x: unknown): x is ImageTensor {
  return (
    typeof x === 'object' &&
    x !== null &&
    (x as ImageTensor).data instanceof Float32Array &&
    Array.isArray((x as ImageTensor).shape) &&
    ((x as ImageTensor).layout === 'hwc' || (x as ImageTensor).layout === 'chw')
  );
}

export function isRawImage(x: unknown): x is RawImage {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as RawImage;
  return (
    (r.data instanceof Uint8Array || r.data instanceof Uint8ClampedArray || r.data instanceof Float32Array) &&
    typeof r.width === 'number' &&
    typeof r.height === 'number' &&
    typeof r.channels === 'number'
  );
}

/** Height, width and channels of an image whatever its layout. */
export function imageSize(image: ImageTensor): { height: number; width: number; channels: number } {
  const [a, b, c] = image.shape;
  return image.layout === 'hwc' ? { height: a, width: b, channels: c } : { height: b, width: c, channels: a };
}

/** Throws a RangeError unless `image` is a consistent ImageTensor. */
export function checkImageTensor(image: ImageTensor, name = 'image'): void {
  if (!isImageTensor(image)) {
    throw new RangeError(`${name} must be { data: Float32Array, shape: [3 dims], layout: 'hwc' | 'chw' }`);
  }
  const { shape } = image;
  if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(`${name}.shape must be 3 positive integers, got [${shape.join(', ')}]`);
  }
  const n = shape[0] * shape[1] * shape[2];
  if (image.data.length !== n) {
    throw new RangeError(
      `${name}.data has ${image.data.length} values but shape [${shape.join(', ')}] needs ${n}`,
    );
  }
}

/** The image in the requested layout (the same object when it already is). */
export function toLayout(image: ImageTensor, layout: Layout): ImageTensor {
  if (layout !== 'hwc' && layout !== 'chw') {
    throw new RangeError(`layout must be 'hwc' or 'chw', got ${String(layout)}`);
  }
  if (image.layout === layout) return image;
  const { height, width, channels } = imageSize(image);
  const plane = height * width;
  const src = image.data;
  const out = new Float32Array(src.length);
  if (layout === 'chw') {
    for (let c = 0; c < channels; c++) {
      const base = c * plane;
      for (let p = 0, q = c; p < plane; p++, q += channels) out[base + p] = src[q] as number;
    }
    return { data: out, shape: [channels, height, width], layout };
  }
  for (let c = 0; c < channels; c++) {
    const base = c * plane;
    for (let p = 0, q = c; p < plane; p++, q += channels) out[q] = src[base + p] as number;
  }
  return { data: out, shape: [height, width, channels], layout };
}

/** An HWC ImageTensor from raw pixels (copied to float). */
export function fromRaw(raw: RawImage): ImageTensor {
  const { width, height, channels } = raw;
  for (const [k, v] of [
    ['width', width],
    ['height', height],
    ['channels', channels],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`raw.${k} must be a positive integer, got ${v}`);
  }
  if (raw.data.length !== width * height * channels) {
    throw new RangeError(
      `raw.data has ${raw.data.length} values but ${width}x${height}x${channels} needs ${width * height * channels}`,
    );
  }
  return { data: Float32Array.from(raw.data), shape: [height, width, channels], layout: 'hwc' };
}

/**
 * `x[c] * scale[c] + offset[c]` of an HWC image, written straight into the requested layout: one pass for
 * the tail of a pipeline (lighting, normalisation, transposition).
 */
export function channelAffineToLayout(
  image: ImageTensor,
  scale: readonly number[],
  offset: readonly number[],
  layout: Layout,
): ImageTensor {
  const { height, width, channels } = imageSize(image);
  if (image.layout !== 'hwc') throw new RangeError(`image.layout must be 'hwc' here, got '${image.layout}'`);
  if (scale.length !== channels || offset.length !== channels) {
    throw new RangeError(
      `scale and offset need ${channels} values, got ${scale.length} and ${offset.length}`,
    );
  }
  const src = image.data;
  const plane = height * width;
  if (layout === 'hwc') {
    const out = src;
    if (channels === 3) {
      const [s0, s1, s2] = scale as [number, number, number];
      const [o0, o1, o2] = offset as [number, number, number];
      for (let i = 0; i < out.length; i += 3) {
        out[i] = (src[i] as number) * s0 + o0;
        out[i + 1] = (src[i + 1] as number) * s1 + o1;
        out[i + 2] = (src[i + 2] as number) * s2 + o2;
      }
    } else {
      for (let i = 0; i < out.length; i++) {
        const c = i % channels;
        out[i] = (src[i] as number) * (scale[c] as number) + (offset[c] as number);
      }
    }
    return image;
  }
  const out = new Float32Array(src.length);
  if (channels === 3) {
    const [s0, s1, s2] = scale as [number, number, number];
    const [o0, o1, o2] = offset as [number, number, number];
    for (let p = 0, q = 0; p < plane; p++, q += 3) {
      out[p] = (src[q] as number) * s0 + o0;
      out[plane + p] = (src[q + 1] as number) * s1 + o1;
      out[2 * plane + p] = (src[q + 2] as number) * s2 + o2;
    }
  } else {
    for (let c = 0; c < channels; c++) {
      const s = scale[c] as number;
      const o = offset[c] as number;
      for (let p = 0, q = c; p < plane; p++, q += channels) out[c * plane + p] = (src[q] as number) * s + o;
    }
  }
  return { data: out, shape: [channels, height, width], layout: 'chw' };
}
