import { Rng } from '@bot/rng';
import { describe, expect, it } from 'vitest';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  applyColorJitter,
  applyLighting,
  CenterCrop,
  type ColorOp,
  centerCropBox,
  compose,
  HorizontalFlip,
  type ImageTensor,
  Lambda,
  Normalize,
  type Resampler,
  Resize,
  ResizedCrop,
  randomResizedCropParams,
  resizeOutputSize,
} from '../src/index.js';
import { diff, f32, fixture, golden, replayRng, u8 } from './helpers.js';

const rng = Rng.from(0);

// Measured against torchvision 0.14 + PIL 9.4 on these fixtures (see README "Fidelity"): the PIL port is
// bit-exact; libvips' linear kernel, which `fast` uses for shrinking only, was at most 9 grey levels off
// (mean 0.41).
const GEOMETRY_TOLERANCE: Record<Resampler, { max: number; mean: number }> = {
  pil: { max: 0, mean: 0 },
  fast: { max: 10, mean: 0.5 },
};

describe('decoding matches PIL + convert("RGB")', () => {
  for (const c of golden.decode) {
    it(c.file, async () => {
      const out = await compose([]).apply(fixture(c.file), rng);
      expect(out.shape).toEqual(c.shape);
      expect(diff(out.data, u8(c.u8)).max).toBe(0);
    });
  }
});

describe('resized crop + flip matches F.resized_crop (bilinear) + F.hflip', () => {
  for (const resampler of ['pil', 'fast'] as const) {
    for (const c of golden.resizedCrop) {
      it(`${resampler} ${c.file} box ${JSON.stringify(c.box)} -> ${c.size} flip=${c.flip}`, async () => {
        const t = [new ResizedCrop(c.box, c.size), ...(c.flip ? [new HorizontalFlip()] : [])];
        const out = await compose(t, { resampler }).apply(fixture(c.file), rng);
        expect(out.shape).toEqual([c.size[0], c.size[1], 3]);
        const d = diff(out.data, u8(c.u8));
        expect(d.max).toBeLessThanOrEqual(GEOMETRY_TOLERANCE[resampler].max);
        expect(d.mean).toBeLessThanOrEqual(GEOMETRY_TOLERANCE[resampler].mean);
      });
    }
  }
  it('a flip before the crop mirrors the box (same pixels as torchvision crop-then-flip order allows)', async () => {
    const c = golden.resizedCrop.find((x: { flip: boolean; size: number[] }) => x.flip && x.size[0] === 40);
    // flip, crop the mirrored box, resize == crop, resize, flip
    const mirrored = { ...c.box, left: 64 - c.box.left - c.box.width };
    const out = await compose([new HorizontalFlip(), new ResizedCrop(mirrored, c.size)], {
      resampler: 'pil',
    }).apply(fixture(c.file), rng);
    expect(diff(out.data, u8(c.u8)).max).toBe(0);
  });
});

describe('Resize + CenterCrop matches torchvision', () => {
  for (const resampler of ['pil', 'fast'] as const) {
    for (const c of golden.resizeCenterCrop) {
      it(`${resampler} ${c.file} Resize(${c.resize}) CenterCrop(${c.crop})`, async () => {
        const out = await compose([new Resize(c.resize), new CenterCrop(c.crop)], { resampler }).apply(
          fixture(c.file),
          rng,
        );
        expect(out.shape).toEqual(c.shape.length === 2 ? [...c.shape, 3] : c.shape);
        const d = diff(out.data, u8(c.u8));
        expect(d.max).toBeLessThanOrEqual(GEOMETRY_TOLERANCE[resampler].max);
        expect(d.mean).toBeLessThanOrEqual(GEOMETRY_TOLERANCE[resampler].mean);
      });
    }
  }
  it('output sizes equal torchvision _compute_resized_output_size', () => {
    for (const c of golden.resizeSizes) {
      const out = resizeOutputSize({ width: c.width, height: c.height }, c.size, c.maxSize ?? undefined);
      expect([out.height, out.width]).toEqual(c.out);
    }
  });
  it('centre crop offsets equal F.center_crop', () => {
    for (const c of golden.centerCropBoxes) {
      const box = centerCropBox(
        { width: c.width, height: c.height },
        { height: c.crop[0], width: c.crop[1] },
      );
      expect([box.top, box.left]).toEqual([c.top, c.left]);
    }
  });
});

describe('randomResizedCropParams replays torchvision get_params', () => {
  it('gives the same box from the same draws, fallback included', () => {
    let fallbacks = 0;
    for (const c of golden.randomResizedCropParams) {
      const r = replayRng(c.draws);
      const box = randomResizedCropParams({ width: c.width, height: c.height }, r, {
        scale: c.scale,
        ratio: c.ratio,
      });
      expect(box).toEqual(c.box);
      expect(r.remaining()).toBe(0);
      if (c.draws.length === 20) fallbacks++;
    }
    expect(fallbacks).toBeGreaterThan(0);
  });
});

function tensor(spec: { shape: [number, number, number]; f32: string }, scale = 255): ImageTensor {
  return { data: f32(spec.f32).map((v) => v * scale), shape: [...spec.shape], layout: 'hwc' };
}

describe('colour ops match torchvision on float images', () => {
  const inputs = { color: tensor(golden.colorInput), gray: tensor(golden.grayInput) };
  const fns = {
    brightness: adjustBrightness,
    contrast: adjustContrast,
    saturation: adjustSaturation,
    hue: adjustHue,
  };
  for (const c of golden.colorOps) {
    it(`${c.op}(${c.factor}) on ${c.input}`, () => {
      const input = inputs[c.input as 'color' | 'gray'];
      const out = fns[c.op as ColorOp](input, c.factor);
      const d = diff(
        out.data.map((v) => v / 255),
        f32(c.f32),
      );
      expect(d.max).toBeLessThan(c.op === 'hue' ? 2e-5 : 2e-6);
    });
  }
  it('the functional forms leave their input unchanged', () => {
    const before = inputs.color.data.slice();
    adjustContrast(inputs.color, 0.3);
    expect(inputs.color.data).toEqual(before);
  });
  for (const c of golden.colorJitter) {
    it(`jitter in order ${c.order.join(', ')}`, () => {
      const img = tensor(golden.colorInput);
      applyColorJitter(img, { ...c, hue: c.hue ?? undefined });
      expect(
        diff(
          img.data.map((v) => v / 255),
          f32(c.f32),
        ).max,
      ).toBeLessThan(2e-5);
    });
  }
  for (const c of golden.lighting) {
    it(`lighting alphas ${c.alphas}`, () => {
      const img = applyLighting(tensor(golden.colorInput), c.alphas);
      // Our eigenvalues are GluonCV's 0-255 ones (55.46 vs 0.2175 * 255 = 55.4625): at most 0.3 * 0.0025 apart.
      expect(
        diff(
          img.data.map((v) => v / 255),
          f32(c.f32),
        ).max,
      ).toBeLessThan(1e-5);
    });
  }
  it('Normalize on either scale', () => {
    const c = golden.normalize;
    for (const n of [
      new Normalize({ mean: c.mean, std: c.std, scale: 1 }),
      new Normalize({ mean: c.mean.map((m: number) => m * 255), std: c.std.map((s: number) => s * 255) }),
    ]) {
      const out = n.apply(tensor(golden.colorInput));
      expect(diff(out.data, f32(c.f32)).max).toBeLessThan(1e-5);
    }
  });
});

describe('the paper train pipeline with fixed parameters matches torchvision', () => {
  for (const c of golden.trainPipeline) {
    for (const resampler of ['pil', 'fast'] as const) {
      it(`${resampler} ${c.file} box ${JSON.stringify(c.box)} flip=${c.flip}`, async () => {
        const pipeline = compose(
          [
            new ResizedCrop(c.box, c.size),
            ...(c.flip ? [new HorizontalFlip()] : []),
            new Lambda('jitter', (img) => applyColorJitter(img, c)),
            new Lambda('lighting', (img) => applyLighting(img, c.alphas)),
            new Normalize({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 1 }),
          ],
          { layout: 'chw', resampler },
        );
        const out = await pipeline.apply(fixture(c.file), rng);
        expect(out.shape).toEqual(c.chw);
        const d = diff(out.data, f32(c.f32));
        // One grey level is 1 / (255 * 0.224) = 0.0175 after normalisation; jitter factors up to 1.35 scale it
        // (contrast and saturation can pass it on twice).
        const levels = GEOMETRY_TOLERANCE[resampler];
        expect(d.max).toBeLessThanOrEqual(levels.max * 0.0175 * 1.35 * 2 + 1e-4);
        expect(d.mean).toBeLessThanOrEqual(levels.mean * 0.0175 * 1.35 * 2 + 1e-4);
      });
    }
  }
});
