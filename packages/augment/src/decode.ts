import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { type DecodedBytes, type Resampler, runStageOnPixels, type Size, type Stage } from './geometry.js';
import type { ImageTensor } from './image-tensor.js';
import { pixelKernels } from './pixel-kernels.js';
import { type ResampleOptions, resampleBilinear } from './resample.js';
import { resampleBytes } from './resample-bytes.js';

/** An encoded image (JPEG, PNG, WebP, ...) read into memory, with the size from its header. */
export interface EncodedImage {
  readonly buffer: Buffer;
  readonly width: number;
  readonly height: number;
}

/** Reads an encoded image from a path or buffer and parses its header (no pixel decode). */
export async function openEncoded(input: string | Uint8Array): Promise<EncodedImage> {
  const buffer =
    typeof input === 'string'
      ? await readFile(input)
      : Buffer.isBuffer(input)
        ? input
        : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const quick = headerSize(buffer);
  if (quick) return { buffer, ...quick };
  const meta = await sharp(buffer).metadata();
  if (!meta.width || !meta.height) {
    throw new Error(`${typeof input === 'string' ? input : 'input buffer'}: no image size in the header`);
  }
  return { buffer, width: meta.width, height: meta.height };
}

/**
 * Width and height from a JPEG's frame header or a PNG's IHDR, read in JS (a sharp metadata call costs about
 * 0.3 ms of CPU per image). Null for other formats or anything unexpected: the caller then asks sharp.
 */
export function headerSize(b: Uint8Array): { width: number; height: number } | null {
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const width = view.getUint32(16);
    const height = view.getUint32(20);
    return width > 0 && height > 0 ? { width, height } : null;
  }
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1] as number;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const len = ((b[i + 2] as number) << 8) | (b[i + 3] as number);
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = ((b[i + 5] as number) << 8) | (b[i + 6] as number);
      const width = ((b[i + 7] as number) << 8) | (b[i + 8] as number);
      return width > 0 && height > 0 ? { width, height } : null;
    }
    if (marker === 0xd9 || marker === 0xda || len < 2) return null;
    i += 2 + len;
  }
  return null;
}

function inBounds(box: { left: number; top: number; width: number; height: number }, size: Size): boolean {
  return (
    box.left >= 0 && box.top >= 0 && box.left + box.width <= size.width && box.top + box.height <= size.height
  );
}

/**
 * Decodes `image` to RGB and runs the first geometry stage: libvips decodes, crops and (with the `fast`
 * resampler) shrinks; enlarging, the outer crop and the flip happen in JS on the 8-bit result. EXIF orientation
 * is ignored, as PIL does. When libvips did all but the flip, the result is the decoded bytes with the flip
 * still to do, which the pixel work then converts to float in its first pass.
 */
export async function decodeStage(
  image: EncodedImage,
  stage: Stage,
  resampler: Resampler,
): Promise<ImageTensor | DecodedBytes> {
  const size: Size = { width: image.width, height: image.height };
  let pipeline = sharp(image.buffer);
  let rest: Stage = stage;
  let curSize = size;
  if (stage.pre && inBounds(stage.pre, size)) {
    const { left, top, width, height } = stage.pre;
    if (left !== 0 || top !== 0 || width !== size.width || height !== size.height) {
      pipeline = pipeline.extract({ left, top, width, height });
    }
    curSize = { width, height };
    rest = { ...rest, pre: null };
  }
  if (resampler === 'fast' && stage.pre && rest.pre === null && rest.resize && isJpeg(image.buffer)) {
    const shrink = jpegShrink(stage.pre, rest.resize);
    if (shrink > 1) return shrinkOnLoadStage(image, stage, shrink);
  }
  let enlarge: Size | null = null;
  if (rest.pre === null && rest.resize && resampler === 'fast') {
    const target = rest.resize;
    const shrunk = {
      width: Math.min(target.width, curSize.width),
      height: Math.min(target.height, curSize.height),
    };
    if (shrunk.width !== curSize.width || shrunk.height !== curSize.height) {
      pipeline = pipeline.resize(shrunk.width, shrunk.height, { fit: 'fill', kernel: 'linear' });
      curSize = shrunk;
    }
    if (shrunk.width !== target.width || shrunk.height !== target.height) enlarge = target;
    rest = { ...rest, resize: null };
  }
  const { data, info } = await pipeline
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const channels = info.channels;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (enlarge) {
    const pixels = resample(bytes, curSize, channels, enlarge);
    return finishStage(pixels, enlarge, channels, rest);
  }
  if (rest.pre === null && rest.resize && channels === 3 && pixelKernels()) {
    // the `pil` resampler: PIL's filter on the SIMD kernels, to bytes
    const pixels = resample(bytes, curSize, channels, rest.resize);
    return finishStage(pixels, rest.resize, channels, { ...rest, resize: null });
  }
  return finishStage(bytes, curSize, channels, rest);
}

/**
 * PIL's 8-bit bilinear resampling of decoded pixels to `out` (of `region` of them, when given): bytes from the
 * SIMD kernels for RGB, floats from the JS port otherwise; the same values either way.
 */
function resample(
  pixels: Uint8Array,
  size: Size,
  channels: number,
  out: Size,
  region?: ResampleOptions['region'],
): Uint8Array | Float32Array {
  const kernels = channels === 3 ? pixelKernels() : null;
  if (kernels) return resampleBytes(kernels, pixels, size.width, size.height, out.width, out.height, region);
  return resampleBilinear(pixels, size.width, size.height, channels, out.width, out.height, {
    quantize: true,
    ...(region ? { region } : {}),
  });
}

/** The rest of a stage in JS; bytes with at most a flip left stay bytes, for the pixel work to convert. */
function finishStage(
  pixels: Uint8Array | Float32Array,
  size: Size,
  channels: number,
  rest: Stage,
): ImageTensor | DecodedBytes {
  if (pixels instanceof Uint8Array && !rest.pre && !rest.resize && !rest.post) {
    return { data: pixels, width: size.width, height: size.height, channels, hflip: rest.hflip };
  }
  const out = runStageOnPixels(pixels, size, channels, rest, true);
  return { data: out.data, shape: [out.size.height, out.size.width, channels], layout: 'hwc' };
}

function isJpeg(b: Uint8Array): boolean {
  return b[0] === 0xff && b[1] === 0xd8;
}

/**
 * The JPEG scale-on-decode factor (1, 2, 4 or 8): the largest that still leaves the crop at least twice the
 * output size, so the final antialiasing filter smooths over the DCT-domain downscale (as sharp does without
 * `fastShrinkOnLoad`).
 */
export function jpegShrink(crop: Size, out: Size): number {
  let s = 1;
  while (s < 8 && crop.width / (4 * s) >= out.width && crop.height / (4 * s) >= out.height) s *= 2;
  return s;
}

/**
 * The `fast` path for a crop at least four times the output size: libjpeg decodes at 1/2, 1/4 or 1/8 scale in the
 * DCT domain (shrink-on-load), libvips cuts out the pixels around the crop, and the PIL filter resamples the
 * crop's exact (fractional) rectangle to the output size.
 */
async function shrinkOnLoadStage(
  image: EncodedImage,
  stage: Stage,
  shrink: number,
): Promise<ImageTensor | DecodedBytes> {
  const pre = stage.pre as NonNullable<Stage['pre']>;
  const out = stage.resize as Size;
  const sw = Math.floor(image.width / shrink);
  const sh = Math.floor(image.height / shrink);
  const fx = image.width / sw;
  const fy = image.height / sh;
  const x0 = pre.left / fx;
  const y0 = pre.top / fy;
  const x1 = (pre.left + pre.width) / fx;
  const y1 = (pre.top + pre.height) / fy;
  // The whole pixels the crop touches; like torchvision (crop, then resize), the filter sees nothing outside.
  const left = Math.floor(x0);
  const top = Math.floor(y0);
  const right = Math.min(sw, Math.ceil(x1));
  const bottom = Math.min(sh, Math.ceil(y1));
  const { data, info } = await sharp(image.buffer)
    .resize(sw, sh, { fit: 'fill', kernel: 'linear', fastShrinkOnLoad: true })
    .extract({ left, top, width: right - left, height: bottom - top })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const pixels = resample(
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    { width: info.width, height: info.height },
    info.channels,
    out,
    { x: x0 - left, y: y0 - top, width: x1 - x0, height: y1 - y0 },
  );
  return finishStage(pixels, out, info.channels, { ...stage, pre: null, resize: null });
}
