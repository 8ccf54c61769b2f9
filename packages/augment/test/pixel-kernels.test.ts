import { Rng } from '@bot/rng';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bytesToTensor, type DecodedBytes } from '../src/geometry.js';
import {
  type ColorJitterParams,
  type ColorOp,
  compose,
  HorizontalFlip,
  type ImageTensor,
  imagenetTrain,
  Lighting,
  lightingOffset,
  Normalize,
  pixelPath,
  ResizedCrop,
  resampleBilinear,
  runPixelSteps,
  usePixelPath,
} from '../src/index.js';
import {
  instantiatePixelKernels,
  KERNEL_LAYOUT,
  type PixelKernels,
  type WebAssemblyApi,
} from '../src/pixel-kernels.js';
import { pixelKernelsWasm } from '../src/pixel-kernels-wasm.js';
import type { PixelStep } from '../src/pixel-steps.js';
import { resampleBytes } from '../src/resample-bytes.js';
import { compile, LAYOUT } from '../tools/build-pixel-kernels.mjs';
import { diff, f32, fixture, golden } from './helpers.js';

const kernels = instantiatePixelKernels() as PixelKernels;
/** The WebAssembly namespace (its types are in lib.dom, which this package leaves out). */
const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/**
 * The same float32 values to the bit, -0 included; a NaN equals any NaN (JS leaves NaN payloads unspecified,
 * and x86 makes a negative one where V8 stores a positive one).
 */
function expectSameBits(a: ImageTensor, b: ImageTensor): void {
  expect(a.shape).toEqual(b.shape);
  expect(a.layout).toBe(b.layout);
  let differing = 0;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) differing++;
  expect(differing).toBe(0);
}

function randomImage(height: number, width: number, rng: Rng, wild = false): ImageTensor {
  const data = new Float32Array(height * width * 3);
  for (let i = 0; i < data.length; i++) {
    // Mostly 8-bit values; `wild` adds values outside [0, 255], fractions, -0 and NaN.
    const u = rng.uniform();
    data[i] = !wild
      ? Math.floor(rng.uniform() * 256)
      : u < 0.02
        ? Number.NaN
        : u < 0.04
          ? -0
          : rng.uniformRange(-40, 300);
  }
  return { data, shape: [height, width, 3], layout: 'hwc' };
}

const copy = (image: ImageTensor): ImageTensor => ({
  ...image,
  data: image.data.slice(),
  shape: [...image.shape],
});

/** Lighting then Normalize folded as the pipeline folds them. */
function lightingNormalize(
  alphas: readonly [number, number, number],
  mean: number[],
  std: number[],
): PixelStep {
  const offset = lightingOffset(alphas);
  return {
    kind: 'affine',
    affine: {
      scale: std.map((s) => 1 / s),
      offset: offset.map((o, c) => o * (1 / (std[c] as number)) + -(mean[c] as number) / (std[c] as number)),
    },
  };
}

const OPS: ColorOp[] = ['brightness', 'contrast', 'saturation', 'hue'];

function randomJitter(rng: Rng, withHue: boolean): ColorJitterParams {
  const params: ColorJitterParams = { order: [] };
  for (const k of rng.permutation(4)) {
    const op = OPS[k] as ColorOp;
    if (op === 'hue' && !withHue) continue;
    if (rng.uniform() < 0.15) continue;
    params.order.push(op);
    params[op] = op === 'hue' ? rng.uniformRange(-0.5, 0.5) : rng.uniformRange(0, 2);
  }
  return params;
}

describe('pixel kernels: the committed module', () => {
  it('is what tools/build-pixel-kernels.mjs assembles from its template', async () => {
    const bytes = await compile();
    expect(Buffer.from(bytes).toString('base64')).toBe(pixelKernelsWasm);
  });

  it('shares its memory map with src/pixel-kernels.ts', () => {
    expect(LAYOUT).toEqual(KERNEL_LAYOUT);
  });

  it('loads on this runtime without flags (plain SIMD128), so the pipelines take the SIMD path', () => {
    expect(kernels).not.toBeNull();
    expect(pixelPath()).toBe('simd');
  });
});

describe('pixel kernels give the bits of the JS passes', () => {
  it('random jitter orders (contrast first, hue between), lighting, Normalize, both layouts, odd sizes', () => {
    const rng = Rng.from('pixel-kernels');
    // npix % 4 = 0, 1, 2, 3: full blocks and every partial last block.
    for (const [h, w] of [
      [4, 4],
      [3, 3],
      [5, 2],
      [7, 5],
      [1, 1],
      [17, 13],
    ] as const) {
      for (let trial = 0; trial < 12; trial++) {
        const image = randomImage(h, w, rng, trial % 3 === 2);
        const steps: PixelStep[] = [{ kind: 'jitter', params: randomJitter(rng, trial % 2 === 1) }];
        if (trial % 4 !== 3) {
          steps.push(
            lightingNormalize(
              [rng.normal(0, 0.1), rng.normal(0, 0.1), rng.normal(0, 0.1)],
              [123.675, 116.28, 103.53],
              [58.395, 57.12, 57.375],
            ),
          );
        }
        if (trial % 5 === 4)
          steps.unshift(steps.at(-1) as PixelStep, { kind: 'jitter', params: randomJitter(rng, false) });
        for (const layout of ['hwc', 'chw'] as const) {
          const js = runPixelSteps(copy(image), steps, layout, null);
          const simd = runPixelSteps(copy(image), steps, layout, kernels);
          expectSameBits(simd, js);
        }
      }
    }
  });

  it('decoded bytes, mirrored or not, convert to float in the first pass with the same bits', () => {
    const rng = Rng.from('pixel-kernels-bytes');
    for (const [h, w] of [
      [3, 8],
      [5, 4],
      [2, 7],
      [1, 3],
    ] as const) {
      for (let trial = 0; trial < 8; trial++) {
        const data = new Uint8Array(h * w * 3).map(() => Math.floor(rng.uniform() * 256));
        const bytes: DecodedBytes = { data, width: w, height: h, channels: 3, hflip: trial % 2 === 0 };
        const steps: PixelStep[] = [
          { kind: 'jitter', params: randomJitter(rng, trial % 4 === 1) },
          lightingNormalize([rng.normal(0, 0.1), 0, 0], [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]),
        ];
        for (const layout of ['hwc', 'chw'] as const) {
          expectSameBits(
            runPixelSteps(bytes, steps, layout, kernels),
            runPixelSteps(bytesToTensor(bytes), steps, layout, null),
          );
        }
      }
    }
  });

  it("PIL's 8-bit bilinear resampling gives the JS port's values, enlarging, shrinking and on fractional regions", () => {
    const rng = Rng.from('resample-bytes');
    for (let trial = 0; trial < 60; trial++) {
      const [w, h, ow, oh] = [40, 40, 70, 70].map((n) => 1 + Math.floor(rng.uniform() * n)) as number[];
      const width = w as number;
      const height = h as number;
      const src = new Uint8Array(width * height * 3).map(() => Math.floor(rng.uniform() * 256));
      let region: { x: number; y: number; width: number; height: number } | undefined;
      if (trial % 3 === 0) {
        const x = rng.uniform() * width * 0.3;
        const y = rng.uniform() * height * 0.3;
        region = {
          x,
          y,
          width: (width - x) * rng.uniformRange(0.5, 1),
          height: (height - y) * rng.uniformRange(0.5, 1),
        };
      }
      const js = resampleBilinear(src, width, height, 3, ow as number, oh as number, {
        quantize: true,
        ...(region ? { region } : {}),
      });
      const simd = resampleBytes(kernels, src, width, height, ow as number, oh as number, region);
      expect(Array.from(simd)).toEqual(Array.from(js));
    }
  });

  it('the colour jitter fixtures of torchvision, on either path', () => {
    for (const c of golden.colorJitter) {
      const spec = golden.colorInput;
      const image: ImageTensor = {
        data: f32(spec.f32).map((v) => v * 255),
        shape: [...spec.shape] as [number, number, number],
        layout: 'hwc',
      };
      const steps: PixelStep[] = [{ kind: 'jitter', params: { ...c, hue: c.hue ?? undefined } }];
      const js = runPixelSteps(copy(image), steps, 'hwc', null);
      const simd = runPixelSteps(copy(image), steps, 'hwc', kernels);
      expectSameBits(simd, js);
      expect(
        diff(
          simd.data.map((v) => v / 255),
          f32(c.f32),
        ).max,
      ).toBeLessThan(2e-5);
    }
  });

  it('the train pipeline fixtures of torchvision (fixed crop, flip, jitter, lighting, Normalize), on either path', async () => {
    const mean = [0.485, 0.456, 0.406].map((m) => m * 255);
    const std = [0.229, 0.224, 0.225].map((s) => s * 255);
    for (const c of golden.trainPipeline) {
      const geometry = [new ResizedCrop(c.box, c.size), ...(c.flip ? [new HorizontalFlip()] : [])];
      const image = await compose(geometry, { resampler: 'pil' }).apply(fixture(c.file), Rng.from(0));
      const steps: PixelStep[] = [{ kind: 'jitter', params: c }, lightingNormalize(c.alphas, mean, std)];
      const js = runPixelSteps(copy(image), steps, 'chw', null);
      const simd = runPixelSteps(copy(image), steps, 'chw', kernels);
      expectSameBits(simd, js);
      // The PIL resampler is bit-exact, so what is left is float rounding (README "Fidelity": < 1e-4).
      expect(diff(simd.data, f32(c.f32)).max).toBeLessThan(1e-4);
    }
  });

  it('lighting and Normalize alone, and no steps at all', () => {
    const image = randomImage(9, 7, Rng.from(3));
    const lighting = new Lighting({ alphaStd: 0.1 }).channelAffine(3, Rng.from(4));
    const normalize = new Normalize().channelAffine(3);
    for (const steps of [
      [{ kind: 'affine', affine: lighting }],
      [
        { kind: 'affine', affine: lighting },
        { kind: 'affine', affine: normalize },
      ],
      [],
    ] as PixelStep[][]) {
      for (const layout of ['hwc', 'chw'] as const) {
        expectSameBits(
          runPixelSteps(copy(image), steps, layout, kernels),
          runPixelSteps(copy(image), steps, layout, null),
        );
      }
    }
  });
});

describe('without WebAssembly SIMD the JS fallback runs, with the same bits', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    usePixelPath('simd');
  });

  it('a runtime whose WebAssembly.validate refuses the module gets the JS path', () => {
    expect(instantiatePixelKernels({ ...wasmApi, validate: () => false })).toBeNull();
    expect(instantiatePixelKernels(null)).toBeNull();
    vi.spyOn(wasmApi, 'validate').mockReturnValue(false);
    expect(usePixelPath('simd')).toBe('js');
  });

  it('imagenetTrain gives the same bytes on the fallback as on the SIMD path', async () => {
    const file = fixture(golden.trainPipeline[0].file);
    const outputs: Record<string, ImageTensor[]> = {};
    for (const path of ['simd', 'js'] as const) {
      if (path === 'js') vi.spyOn(wasmApi, 'validate').mockReturnValue(false);
      expect(usePixelPath('simd')).toBe(path);
      outputs[path] = [];
      for (const layout of ['hwc', 'chw'] as const) {
        for (const options of [
          {},
          { hue: 0.2 },
          { lighting: 0, resampler: 'pil' as const },
          { jitter: 0, size: 96 },
          { size: 96, resampler: 'pil' as const },
        ]) {
          const train = imagenetTrain({ size: 32, layout, ...options });
          for (let i = 0; i < 4; i++) outputs[path].push(await train.apply(file, Rng.derive(7, 0, i)));
        }
      }
    }
    expect(outputs.simd?.length).toBe(40);
    for (const [i, out] of (outputs.simd as ImageTensor[]).entries()) {
      expectSameBits(out, (outputs.js as ImageTensor[])[i] as ImageTensor);
    }
  });

  it("usePixelPath('js') chooses the fallback on purpose", () => {
    expect(usePixelPath('js')).toBe('js');
    expect(pixelPath()).toBe('js');
    expect(() => usePixelPath('gpu' as never)).toThrow(/path must be 'simd' or 'js', got gpu/);
  });
});
