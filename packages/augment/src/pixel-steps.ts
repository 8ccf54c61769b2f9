import { adjustHueInPlace } from './color.js';
import { applyColorJitter, type ColorJitterParams, jitterSteps } from './color-jitter.js';
import {
  channelAffineToLayout,
  checkImageTensor,
  type ImageTensor,
  imageSize,
  type Layout,
  toLayout,
} from './image-tensor.js';
import { KERNEL_LAYOUT, type KernelOp, type PixelKernels, pixelKernels } from './pixel-kernels.js';
import type { ChannelAffine } from './transform.js';

/** A pixel step whose parameters are drawn: colour jitter, or a per-channel affine map (lighting, Normalize). */
export type PixelStep =
  | { readonly kind: 'jitter'; readonly params: ColorJitterParams }
  | { readonly kind: 'affine'; readonly affine: ChannelAffine };

/**
 * Runs `steps` in order on an HWC image on the 0-255 scale and returns the result in `layout` (a new array,
 * or `image` itself on the JS path where that is what the JS passes do). On RGB images with the SIMD kernels,
 * one fused pass per run of steps between contrast adjustments (which need the mean grey of their input) and
 * hue shifts (which stay in JS), the last one writing `layout`; otherwise the JS passes. Both give the same
 * bits: every operation is float64 arithmetic rounded to float32 after itself.
 */
export function runPixelSteps(
  image: ImageTensor,
  steps: readonly PixelStep[],
  layout: Layout,
  kernels: PixelKernels | null = pixelKernels(),
): ImageTensor {
  if (kernels && steps.length > 0 && image.layout === 'hwc' && image.shape[2] === 3) {
    return runOnKernels(kernels, image, steps, layout);
  }
  let out = image;
  for (const [i, step] of steps.entries()) {
    const last = i === steps.length - 1;
    if (step.kind === 'jitter') out = applyColorJitter(out, step.params);
    else out = channelAffineToLayout(out, step.affine.scale, step.affine.offset, last ? layout : 'hwc');
  }
  return steps.at(-1)?.kind === 'affine' ? out : toLayout(out, layout);
}

function runOnKernels(
  kernels: PixelKernels,
  image: ImageTensor,
  steps: readonly PixelStep[],
  layout: Layout,
): ImageTensor {
  checkImageTensor(image);
  const { height, width } = imageSize(image);
  const npix = height * width;
  const bytes = npix * 12;
  // A: the HWC image, changed in place; B: the CHW planes of the last pass.
  const a = KERNEL_LAYOUT.data;
  const b = a + bytes + 64;
  kernels.reserve(2 * (bytes + 64));
  kernels.f32(a, npix * 3).set(image.data);
  let ops: KernelOp[] = [];
  const pass = (): number => {
    const sum = kernels.run(a, false, a, false, npix, ops);
    ops = [];
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
        if (ops.length > 0) pass();
        adjustHueInPlace({ data: kernels.f32(a, npix * 3), shape: [height, width, 3], layout: 'hwc' }, f);
      }
    }
  }
  const chw = layout === 'chw';
  kernels.run(a, false, chw ? b : a, chw, npix, ops);
  const data = kernels.f32(chw ? b : a, npix * 3).slice();
  return { data, shape: chw ? [3, height, width] : [height, width, 3], layout };
}
