import { adjustHueInPlace } from './color.js';
import { applyColorJitter, type ColorJitterParams, jitterSteps } from './color-jitter.js';
import { bytesToTensor, type DecodedBytes } from './geometry.js';
import {
  channelAffineToLayout,
  checkImageTensor,
  type ImageTensor,
  imageSize,
  isImageTensor,
  type Layout,
  toLayout,
} from './image-tensor.js';
import {
  KERNEL_LAYOUT,
  type KernelOp,
  type KernelSource,
  type PixelKernels,
  pixelKernels,
} from './pixel-kernels.js';
import type { ChannelAffine } from './transform.js';

/** A pixel step whose parameters are drawn: colour jitter, or a per-channel affine map (lighting, Normalize). */
export type PixelStep =
  | { readonly kind: 'jitter'; readonly params: ColorJitterParams }
  | { readonly kind: 'affine'; readonly affine: ChannelAffine };

/**
 * Runs `steps` in order on an HWC image on the 0-255 scale (or on decoded bytes, converted to float on the
 * way) and returns the result in `layout` (a new array, or `image` itself on the JS path where that is what
 * the JS passes do). On RGB images with the SIMD kernels,
 * one fused pass per run of steps between contrast adjustments (which need the mean grey of their input) and
 * hue shifts (which stay in JS), the last one writing `layout`; otherwise the JS passes. Both give the same
 * bits: every operation is float64 arithmetic rounded to float32 after itself.
 */
export function runPixelSteps(
  image: ImageTensor | DecodedBytes,
  steps: readonly PixelStep[],
  layout: Layout,
  kernels: PixelKernels | null = pixelKernels(),
): ImageTensor {
  if (kernels && steps.length > 0) {
    if (isImageTensor(image) ? image.layout === 'hwc' && image.shape[2] === 3 : onKernels(image)) {
      return runOnKernels(kernels, image, steps, layout);
    }
  }
  let out = isImageTensor(image) ? image : bytesToTensor(image);
  for (const [i, step] of steps.entries()) {
    const last = i === steps.length - 1;
    if (step.kind === 'jitter') out = applyColorJitter(out, step.params);
    else out = channelAffineToLayout(out, step.affine.scale, step.affine.offset, last ? layout : 'hwc');
  }
  return steps.at(-1)?.kind === 'affine' ? out : toLayout(out, layout);
}

/** Whether the kernels can read these bytes as they are: RGB, and rows of whole 4-pixel blocks if mirrored. */
function onKernels(bytes: DecodedBytes): boolean {
  return bytes.channels === 3 && (!bytes.hflip || bytes.width % 4 === 0);
}

function runOnKernels(
  kernels: PixelKernels,
  image: ImageTensor | DecodedBytes,
  steps: readonly PixelStep[],
  layout: Layout,
): ImageTensor {
  let height: number;
  let width: number;
  if (isImageTensor(image)) {
    checkImageTensor(image);
    ({ height, width } = imageSize(image));
  } else {
    ({ height, width } = image);
    if (image.data.length !== height * width * 3) {
      throw new RangeError(
        `bytes.data has ${image.data.length} values but ${width}x${height}x3 needs ${height * width * 3}`,
      );
    }
  }
  const npix = height * width;
  const bytes = npix * 12 + 64;
  // A: the HWC image, changed in place; B: the CHW planes of the last pass; C: decoded bytes (16 bytes of slack).
  const a = KERNEL_LAYOUT.data;
  const b = a + bytes;
  const c = b + bytes;
  kernels.reserve(2 * bytes + npix * 3 + 64);
  let src: KernelSource;
  if (isImageTensor(image)) {
    kernels.f32(a, npix * 3).set(image.data);
    src = { at: a, u8: false, mirrorWidth: 0 };
  } else {
    kernels.u8(c, npix * 3).set(image.data);
    src = { at: c, u8: true, mirrorWidth: image.hflip ? width : 0 };
  }
  let ops: KernelOp[] = [];
  const pass = (dst: number = a, chw = false): number => {
    const sum = kernels.run(src, dst, chw, npix, ops);
    ops = [];
    src = { at: a, u8: false, mirrorWidth: 0 };
    return sum;
  };
  for (const step of steps) {
    if (step.kind === 'affine') {
      if (ops.length === KERNEL_LAYOUT.maxOps) pass();
      ops.push({ code: 'channelAffine', scale: step.affine.scale, offset: step.affine.offset });
      continue;
    }
    for (const [op, f] of jitterSteps(step.params)) {
      if (ops.length >= KERNEL_LAYOUT.maxOps - 1) pass();
      if (op === 'brightness') ops.push({ code: 'scaleClamp', f, offset: 0 });
      else if (op === 'saturation') ops.push({ code: 'saturation', f });
      else if (op === 'contrast') {
        ops.push({ code: 'graySum' });
        const mean = pass() / npix;
        ops.push({ code: 'scaleClamp', f, offset: (1 - f) * mean });
      } else {
        if (ops.length > 0 || src.u8) pass();
        adjustHueInPlace({ data: kernels.f32(a, npix * 3), shape: [height, width, 3], layout: 'hwc' }, f);
      }
    }
  }
  const chw = layout === 'chw';
  pass(chw ? b : a, chw);
  const data = kernels.f32(chw ? b : a, npix * 3).slice();
  return { data, shape: chw ? [3, height, width] : [height, width, 3], layout };
}
