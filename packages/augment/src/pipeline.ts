import type { Rng } from '@bot/rng';
import { ColorJitter, colorJitterParams } from './color-jitter.js';
import { decodeStage, openEncoded } from './decode.js';
import {
  bytesToTensor,
  type DecodedBytes,
  type GeometryOp,
  geometryOnTensor,
  planStages,
  type Resampler,
  type Size,
  sizeAfter,
} from './geometry.js';
import {
  fromRaw,
  type ImageTensor,
  imageSize,
  isImageTensor,
  isRawImage,
  type Layout,
  type RawImage,
  toLayout,
} from './image-tensor.js';
import { type PixelStep, runPixelSteps } from './pixel-steps.js';
import type { ChannelAffine, Transform } from './transform.js';

/** What a pipeline accepts: an encoded image (file path or bytes, decoded by sharp) or decoded pixels. */
export type ImageInput = string | Buffer | Uint8Array | ImageTensor | RawImage;

export interface PipelineOptions {
  /** Memory order of the output. */
  layout?: Layout;
  /** How geometry resizes (see `Resampler`); `fast` by default. */
  resampler?: Resampler;
}

/** A sequence of transforms applied to one image with one random stream. */
export class Pipeline {
  readonly transforms: readonly Transform[];
  readonly layout: Layout;
  readonly resampler: Resampler;

  constructor(transforms: readonly (Transform | Pipeline)[], options: PipelineOptions = {}) {
    const flat: Transform[] = [];
    for (const [i, t] of transforms.entries()) {
      if (t instanceof Pipeline) flat.push(...t.transforms);
      else if (t && (t.kind === 'geometry' || t.kind === 'pixel')) flat.push(t);
      else throw new RangeError(`transforms[${i}] must be a transform or a Pipeline, got ${String(t)}`);
    }
    this.transforms = flat;
    this.layout = options.layout ?? 'hwc';
    if (this.layout !== 'hwc' && this.layout !== 'chw') {
      throw new RangeError(`layout must be 'hwc' or 'chw', got ${String(this.layout)}`);
    }
    this.resampler = options.resampler ?? 'fast';
    if (this.resampler !== 'fast' && this.resampler !== 'pil') {
      throw new RangeError(`resampler must be 'fast' or 'pil', got ${String(this.resampler)}`);
    }
  }

  /**
   * Decodes (when needed) and transforms one image. Random draws happen in transform order from `rng`, so the
   * same rng state gives the same output bytes. Encoded inputs become RGB; decoded inputs keep their channels.
   */
  async apply(input: ImageInput, rng: Rng): Promise<ImageTensor> {
    // Decoded bytes stay 8-bit (and unflipped) until the pixel work, which converts them in its first pass.
    let image: ImageTensor | DecodedBytes | null = null;
    let encoded: Awaited<ReturnType<typeof openEncoded>> | null = null;
    let size: Size;
    if (typeof input === 'string' || (input instanceof Uint8Array && !isRawImage(input))) {
      encoded = await openEncoded(input);
      size = { width: encoded.width, height: encoded.height };
    } else if (isImageTensor(input)) {
      image = toLayout(
        input.layout === 'hwc' ? { data: input.data.slice(), shape: [...input.shape], layout: 'hwc' } : input,
        'hwc',
      );
      const s = imageSize(image);
      size = { width: s.width, height: s.height };
    } else if (isRawImage(input)) {
      image = fromRaw(input);
      size = { width: input.width, height: input.height };
    } else {
      throw new RangeError(
        'input must be a file path, an encoded image Buffer, an ImageTensor or a RawImage',
      );
    }
    let ops: GeometryOp[] = [];
    const realise = async (): Promise<ImageTensor | DecodedBytes> => {
      if (image && ops.length === 0) return image;
      if (encoded) {
        const [first, ...rest] = planStages(ops, { width: encoded.width, height: encoded.height });
        const out = await decodeStage(encoded, first as NonNullable<typeof first>, this.resampler);
        encoded = null;
        ops = [];
        return rest.length > 0 ? geometryOnTensor(asTensor(out), stagesToOps(rest)) : out;
      }
      const out = geometryOnTensor(asTensor(image as ImageTensor | DecodedBytes), ops);
      ops = [];
      return out;
    };
    // Colour jitter and consecutive per-channel affine transforms wait here and run together (fused passes on
    // the SIMD kernels), fused with the layout change when they end the pipeline.
    let steps: PixelStep[] = [];
    const flushSteps = () => {
      if (steps.length > 0 && image) image = runPixelSteps(image, steps, 'hwc');
      steps = [];
    };
    for (const t of this.transforms) {
      if (t.kind === 'geometry') {
        flushSteps();
        const planned = t.plan(size, rng);
        for (const op of planned) {
          ops.push(op);
          size = sizeAfter(size, op);
        }
        continue;
      }
      image = await realise();
      if (t.channelAffine) {
        const next = t.channelAffine(isImageTensor(image) ? imageSize(image).channels : image.channels, rng);
        const last = steps.at(-1);
        if (last?.kind === 'affine')
          steps[steps.length - 1] = { kind: 'affine', affine: composeAffine(last.affine, next) };
        else steps.push({ kind: 'affine', affine: next });
        continue;
      }
      if (Object.getPrototypeOf(t) === ColorJitter.prototype) {
        steps.push({ kind: 'jitter', params: colorJitterParams((t as ColorJitter).options, rng) });
        continue;
      }
      flushSteps();
      image = t.apply(asTensor(image), rng);
    }
    image = await realise();
    return runPixelSteps(image, steps, this.layout);
  }
}

function asTensor(image: ImageTensor | DecodedBytes): ImageTensor {
  return isImageTensor(image) ? image : bytesToTensor(image);
}

/** `second` after `first`. */
function composeAffine(first: ChannelAffine, second: ChannelAffine): ChannelAffine {
  return {
    scale: first.scale.map((s, c) => s * (second.scale[c] as number)),
    offset: first.offset.map((o, c) => o * (second.scale[c] as number) + (second.offset[c] as number)),
  };
}

function stagesToOps(stages: ReturnType<typeof planStages>): GeometryOp[] {
  const ops: GeometryOp[] = [];
  for (const s of stages) {
    if (s.pre) ops.push({ type: 'crop', ...s.pre });
    if (s.resize) ops.push({ type: 'resize', ...s.resize });
    if (s.post) ops.push({ type: 'crop', ...s.post });
    if (s.hflip) ops.push({ type: 'hflip' });
  }
  return ops;
}

/** Chains transforms (and pipelines) into one pipeline, like torchvision's `Compose`. */
export function compose(
  transforms: readonly (Transform | Pipeline)[],
  options: PipelineOptions = {},
): Pipeline {
  return new Pipeline(transforms, options);
}
