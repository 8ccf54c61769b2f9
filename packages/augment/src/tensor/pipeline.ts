import type { Rng } from '@bot/rng';
import { add, cast, mul, type Tensor4D, tensor4d, tidy } from '@tensorflow/tfjs-core';
import { ColorJitter, type ColorJitterParams, colorJitterParams } from '../color-jitter.js';
import { type GeometryOp, type Size, sizeAfter } from '../geometry.js';
import type { ChannelAffine, Transform } from '../transform.js';
import { colorJitterBatch } from './color-jitter.js';
import { resampleBatch } from './resample-batch.js';
import { type Sampling, samplingOf } from './sampling.js';

/** A pixel step with its random parameters drawn. */
export type PixelStep =
  | { type: 'jitter'; params: ColorJitterParams }
  /** `x[c] * scale[c] + offset[c]`: consecutive per-channel affine transforms (lighting, Normalize) folded. */
  | ({ type: 'affine' } & ChannelAffine);

/** One sample's augmentation with every random choice made: what the sharp path would do to it. */
export interface SamplePlan {
  /** The geometry operations the transforms planned, as the sharp path plans them. */
  geometry: GeometryOp[];
  /** Where the output grid reads the input. */
  sampling: Sampling;
  pixel: PixelStep[];
}

/** A batch as raw pixels: NHWC values (8-bit or float) and the shape. */
export interface RawBatch {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  shape: [number, number, number, number];
}

export type BatchInput = Tensor4D | RawBatch;

function toFloatBatch(input: BatchInput): Tensor4D {
  if ('data' in input && !('dataId' in input)) {
    const { data, shape } = input;
    const count = shape.reduce((p, d) => p * d, 1);
    if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d > 0) || data.length !== count) {
      throw new RangeError(
        `a raw batch needs shape [N, H, W, C] of positive integers matching data.length ${data.length}, got ${JSON.stringify(shape)}`,
      );
    }
    return tensor4d(data instanceof Float32Array ? data : Float32Array.from(data), shape);
  }
  const t = input as Tensor4D;
  if (t.rank !== 4) throw new RangeError(`images must be an NHWC tensor of rank 4, got rank ${t.rank}`);
  return t.dtype === 'float32' ? t : (cast(t, 'float32') as Tensor4D);
}

/**
 * The training transforms of this package on batched tfjs tensors (NHWC, uint8 or float32 pixels on the 0-255
 * scale, any backend), with the same seeded draws as the sharp `Pipeline`: for each sample, its Rng is consumed
 * in transform order exactly as `Pipeline.apply` consumes it, so the same Rng state gives the same crop box,
 * flip, jitter factors and lighting noise. Geometry becomes one bilinear `cropAndResize` per batch (no
 * antialiasing, unlike PIL's filter when shrinking); ColorJitter (brightness, contrast, saturation), lighting,
 * Normalize and any transform with a `channelAffine` run as batched per-sample ops.
 *
 * Supported: geometry transforms first (RandomResizedCrop, RandomCrop/Crop inside the image, CenterCrop,
 * Resize, flips), then pixel transforms with a `channelAffine` or ColorJitter without hue.
 */
export class TensorPipeline {
  readonly transforms: readonly Transform[];

  constructor(transforms: readonly Transform[]) {
    let sawPixel = false;
    for (const [i, t] of transforms.entries()) {
      if (!t || (t.kind !== 'geometry' && t.kind !== 'pixel')) {
        throw new RangeError(`transforms[${i}] must be a transform, got ${String(t)}`);
      }
      if (t.kind === 'geometry' && sawPixel) {
        throw new RangeError(
          `transforms[${i}] (${t.name}): on tensors every geometry transform must come before the pixel transforms`,
        );
      }
      if (t.kind === 'pixel') {
        sawPixel = true;
        const jitter = t instanceof ColorJitter;
        if (!jitter && !t.channelAffine) {
          throw new RangeError(
            `transforms[${i}] (${t.name}) has no tensor form: use ColorJitter or a transform with channelAffine`,
          );
        }
        if (jitter && t.options.hue !== undefined && t.options.hue !== 0) {
          throw new RangeError(`transforms[${i}] (ColorJitter): hue jitter is not supported on tensors`);
        }
      }
    }
    this.transforms = [...transforms];
  }

  /** Draws one sample's parameters from `rng`, in the order the sharp `Pipeline.apply` draws them. */
  plan(size: Size, channels: number, rng: Rng): SamplePlan {
    const input = size;
    let cur = size;
    const geometry: GeometryOp[] = [];
    const pixel: PixelStep[] = [];
    let affine: ChannelAffine | null = null;
    for (const t of this.transforms) {
      if (t.kind === 'geometry') {
        for (const op of t.plan(cur, rng)) {
          geometry.push(op);
          cur = sizeAfter(cur, op);
        }
        continue;
      }
      if (t.channelAffine) {
        const next = t.channelAffine(channels, rng);
        affine = affine ? composeAffine(affine, next) : next;
        continue;
      }
      if (affine) pixel.push({ type: 'affine', ...affine });
      affine = null;
      pixel.push({ type: 'jitter', params: colorJitterParams((t as ColorJitter).options, rng) });
    }
    if (affine) pixel.push({ type: 'affine', ...affine });
    return { geometry, sampling: samplingOf(geometry, input), pixel };
  }

  /** One plan per sample, each from its own Rng (e.g. `Rng.derive(seed, epoch, index)`). */
  planBatch(size: Size, channels: number, rngs: readonly Rng[]): SamplePlan[] {
    return rngs.map((rng) => this.plan(size, channels, rng));
  }

  /** Augments a batch: sample i with `rngs[i]`. Returns a new float32 NHWC tensor; the input is kept. */
  apply(images: BatchInput, rngs: readonly Rng[]): Tensor4D {
    const x = toFloatBatch(images);
    const [, height, width, channels] = x.shape;
    try {
      return this.run(x, this.planBatch({ width, height }, channels, rngs));
    } finally {
      if (x !== images) x.dispose();
    }
  }

  /** Runs fixed plans (from `plan`) on a batch. */
  run(images: BatchInput, plans: readonly SamplePlan[]): Tensor4D {
    const x0 = toFloatBatch(images);
    const [n, , , channels] = x0.shape;
    if (plans.length !== n) {
      throw new RangeError(`plans has ${plans.length} entries but the batch has ${n} images`);
    }
    let x = resampleBatch(
      x0,
      plans.map((p) => p.sampling),
    );
    if (x0 !== images) x0.dispose();
    const steps = plans[0]?.pixel.length ?? 0;
    for (let k = 0; k < steps; k++) {
      const type = plans[0]?.pixel[k]?.type;
      const stepOf = (p: SamplePlan, i: number): PixelStep => {
        const s = p.pixel[k];
        if (!s || s.type !== type || p.pixel.length !== steps) {
          throw new RangeError(`plans[${i}] has different pixel steps from plans[0]`);
        }
        return s;
      };
      const prev = x;
      if (type === 'jitter') {
        x = colorJitterBatch(
          x,
          plans.map((p, i) => (stepOf(p, i) as { params: ColorJitterParams }).params),
        );
      } else {
        x = affineBatch(
          x,
          plans.map((p, i) => stepOf(p, i) as ChannelAffine),
          channels,
        );
      }
      prev.dispose();
    }
    return x;
  }
}

function affineBatch(x: Tensor4D, maps: readonly ChannelAffine[], channels: number): Tensor4D {
  const n = maps.length;
  const scale = new Float32Array(n * channels);
  const offset = new Float32Array(n * channels);
  for (const [i, m] of maps.entries()) {
    if (m.scale.length !== channels || m.offset.length !== channels) {
      throw new RangeError(
        `a channel map has ${m.scale.length} scales and ${m.offset.length} offsets for ${channels} channels`,
      );
    }
    scale.set(m.scale, i * channels);
    offset.set(m.offset, i * channels);
  }
  return tidy(() => add(mul(x, tensor4d(scale, [n, 1, 1, channels])), tensor4d(offset, [n, 1, 1, channels])));
}

/** `second` after `first` (as the sharp pipeline folds them). */
function composeAffine(first: ChannelAffine, second: ChannelAffine): ChannelAffine {
  return {
    scale: first.scale.map((s, c) => s * (second.scale[c] as number)),
    offset: first.offset.map((o, c) => o * (second.scale[c] as number) + (second.offset[c] as number)),
  };
}
