import { readFileSync } from 'node:fs';
import { Rng } from '@bot/rng';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  CenterCrop,
  ColorJitter,
  Crop,
  compose,
  geometryOnTensor,
  HorizontalFlip,
  type ImageTensor,
  imagenetTrain,
  imagenetVal,
  Lambda,
  Normalize,
  RandomCrop,
  RandomHorizontalFlip,
  RandomResizedCrop,
  Resize,
  ResizedCrop,
  resampleBilinear,
  toLayout,
} from '../src/index.js';
import { diff, fixture } from './helpers.js';

const png = fixture('rgb-64x48.png');
const jpg = fixture('rgb-64x48-q90.jpg');

function hwc(
  width: number,
  height: number,
  channels: number,
  f: (x: number, y: number, c: number) => number,
): ImageTensor {
  const data = new Float32Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = f(x, y, c);
  return { data, shape: [height, width, channels], layout: 'hwc' };
}

describe('determinism', () => {
  it('the same seed gives the same bytes, another seed other bytes', async () => {
    const p = imagenetTrain({ size: 32 });
    const a = await p.apply(jpg, Rng.derive(5, 0, 3));
    const b = await p.apply(readFileSync(jpg), Rng.derive(5, 0, 3));
    const c = await p.apply(jpg, Rng.derive(5, 0, 4));
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(c.data.buffer))).toBe(false);
  });

  it('concurrent applies do not share state', async () => {
    const p = imagenetTrain({ size: 24 });
    const seq: ImageTensor[] = [];
    for (let i = 0; i < 6; i++) seq.push(await p.apply(png, Rng.derive(9, 1, i)));
    const par = await Promise.all(Array.from({ length: 6 }, (_, i) => p.apply(png, Rng.derive(9, 1, i))));
    for (let i = 0; i < 6; i++) expect(par[i]?.data).toEqual(seq[i]?.data);
  });
});

describe('inputs and outputs', () => {
  it('path, Buffer, ImageTensor (hwc and chw) and RawImage inputs agree', async () => {
    const decoded = await compose([]).apply(png, Rng.from(0));
    const raw = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const p = compose([new Crop({ left: 3, top: 4, width: 20, height: 10 }), new HorizontalFlip()]);
    const fromPath = await p.apply(png, Rng.from(0));
    const fromTensor = await p.apply(decoded, Rng.from(0));
    const fromChw = await p.apply(toLayout(decoded, 'chw'), Rng.from(0));
    const fromRaw = await p.apply(
      { data: new Uint8Array(raw.data), width: raw.info.width, height: raw.info.height, channels: 3 },
      Rng.from(0),
    );
    expect(fromTensor.data).toEqual(fromPath.data);
    expect(fromChw.data).toEqual(fromPath.data);
    expect(fromRaw.data).toEqual(fromPath.data);
    // the input tensor was not changed
    expect(decoded.data).toEqual((await compose([]).apply(png, Rng.from(0))).data);
  });

  it('chw output is the transpose of hwc output', async () => {
    const a = await imagenetVal({ size: 16, layout: 'hwc' }).apply(png, Rng.from(0));
    const b = await imagenetVal({ size: 16, layout: 'chw' }).apply(png, Rng.from(0));
    expect(b.shape).toEqual([3, 16, 16]);
    for (const [y, x, c] of [
      [0, 0, 0],
      [5, 7, 2],
      [15, 15, 1],
    ] as const) {
      expect(b.data[c * 256 + y * 16 + x]).toBe(a.data[(y * 16 + x) * 3 + c]);
    }
    expect(toLayout(b, 'hwc').data).toEqual(a.data);
  });

  it('grey and RGBA images become RGB; EXIF-free PIL semantics', async () => {
    const g = await compose([]).apply(fixture('gray-40x30.png'), Rng.from(0));
    expect(g.shape).toEqual([30, 40, 3]);
    expect(g.data[0]).toBe(g.data[1]);
    const rgba = await sharp({
      create: { width: 4, height: 3, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } },
    })
      .png()
      .toBuffer();
    const out = await compose([]).apply(rgba, Rng.from(0));
    expect(out.shape).toEqual([3, 4, 3]);
    expect(Array.from(out.data.slice(0, 3))).toEqual([10, 20, 30]);
  });

  it('corrupt, truncated and empty inputs reject', async () => {
    const p = imagenetTrain({ size: 8 });
    const bytes = readFileSync(jpg);
    await expect(p.apply(Buffer.from('not an image'), Rng.from(0))).rejects.toThrow();
    await expect(p.apply(bytes.subarray(0, bytes.length / 3), Rng.from(0))).rejects.toThrow();
    await expect(p.apply(Buffer.alloc(0), Rng.from(0))).rejects.toThrow();
    await expect(p.apply(fixture('missing.jpg'), Rng.from(0))).rejects.toThrow(/ENOENT/);
    await expect(p.apply(42 as unknown as string, Rng.from(0))).rejects.toThrow(RangeError);
  });
});

describe('geometry', () => {
  it('fused geometry equals running each step on its own', async () => {
    const ops = [
      new Resize(40),
      new CenterCrop([30, 36]),
      new HorizontalFlip(),
      new Crop({ left: 2, top: 3, width: 30, height: 20 }),
      new ResizedCrop({ left: 5, top: 1, width: 20, height: 18 }, [9, 13]),
    ];
    const fused = await compose(ops, { resampler: 'pil' }).apply(png, Rng.from(0));
    let stepwise: ImageTensor | string = png;
    for (const t of ops) stepwise = await compose([t], { resampler: 'pil' }).apply(stepwise, Rng.from(0));
    expect((stepwise as ImageTensor).shape).toEqual([9, 13, 3]);
    expect((stepwise as ImageTensor).data).toEqual(fused.data);
  });

  it('RandomCrop with padding reads zeros outside (Fashion-MNIST style)', async () => {
    const img = hwc(28, 28, 1, (x, y) => 1 + x + 28 * y);
    const rng = Rng.from(3);
    const p = compose([new RandomCrop(28, { padding: 4 }), new RandomHorizontalFlip(0)]);
    for (let k = 0; k < 20; k++) {
      const probe = rng.clone();
      const top = probe.int(9) - 4;
      const left = probe.int(9) - 4;
      const out = await p.apply(img, rng);
      expect(out.shape).toEqual([28, 28, 1]);
      for (const [x, y] of [
        [0, 0],
        [27, 27],
        [13, 5],
      ] as const) {
        const sx = x + left;
        const sy = y + top;
        const want = sx < 0 || sy < 0 || sx > 27 || sy > 27 ? 0 : 1 + sx + 28 * sy;
        expect(out.data[y * 28 + x]).toBe(want);
      }
    }
  });

  it('bilinear resampling keeps constants, reproduces linear ramps inside, and is exact at identity', () => {
    const ramp = hwc(10, 7, 2, (x, y, c) => 3 * x + 2 * y + c);
    const up = resampleBilinear(ramp.data, 10, 7, 2, 25, 14, { quantize: false });
    // upscaling x 2.5: output column j samples x = (j + 0.5) / 2.5 - 0.5; interior values are exact
    for (let j = 3; j < 22; j++) {
      const x = (j + 0.5) / 2.5 - 0.5;
      expect(up[(7 * 25 + j) * 2]).toBeCloseTo(3 * x + 2 * ((7 + 0.5) / 2 - 0.5), 4);
    }
    const flat = resampleBilinear(new Float32Array(64 * 3).fill(77.5), 8, 8, 3, 3, 5, { quantize: false });
    for (const v of flat) expect(v).toBeCloseTo(77.5, 4);
    expect(resampleBilinear(ramp.data, 10, 7, 2, 10, 7, { quantize: false })).toEqual(ramp.data);
    const down = geometryOnTensor(ramp, [{ type: 'resize', width: 5, height: 7 }]);
    // halving averages pairs with weights 1/4, 3/4, 3/4, 1/4 (a triangle of support 2), symmetric around 2x+0.5
    expect(down.data[(3 * 5 + 2) * 2]).toBeCloseTo(3 * 4.5 + 2 * 3, 4);
  });
});

describe('presets', () => {
  it('imagenetVal equals Resize(256) + CenterCrop(224) + Normalize', async () => {
    const a = await imagenetVal({ size: 28, resize: 32 }).apply(jpg, Rng.from(0));
    const b = await compose([new Resize(32), new CenterCrop(28), new Normalize()]).apply(jpg, Rng.from(0));
    expect(a.data).toEqual(b.data);
    expect(a.shape).toEqual([28, 28, 3]);
  });

  it('imagenetTrain draws crop, flip, jitter, lighting in that order from one rng', async () => {
    const seed = Rng.derive(4, 2, 7);
    const got = await imagenetTrain({ size: 20 }).apply(png, seed.clone());
    const lighting = imagenetTrain({ size: 20 }).transforms[3];
    expect(lighting?.name).toBe('Lighting');
    const manual = compose([
      new RandomResizedCrop(20),
      new RandomHorizontalFlip(),
      new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4 }),
      lighting as Lambda,
      new Normalize(),
    ]);
    const want = await manual.apply(png, seed.clone());
    expect(got.data).toEqual(want.data);
    // normalised pixels of a natural-ish image sit within a few standard deviations
    const m = got.data.reduce((s, v) => s + v, 0) / got.data.length;
    expect(Math.abs(m)).toBeLessThan(3);
  });

  it('Lambda receives the decoded HWC 0-255 image', async () => {
    let seen: ImageTensor | undefined;
    await compose([new CenterCrop(8), new Lambda('peek', (img) => (seen = img))]).apply(png, Rng.from(0));
    expect(seen?.shape).toEqual([8, 8, 3]);
    expect(Math.max(...(seen?.data ?? []))).toBeLessThanOrEqual(255);
  });

  it('bad options throw RangeErrors that name the parameter', () => {
    expect(() => new RandomHorizontalFlip(2)).toThrow(/p must be in \[0, 1\], got 2/);
    expect(() => new RandomResizedCrop(0)).toThrow(/RandomResizedCrop size/);
    expect(() => new ColorJitter({ hue: 0.7 })).toThrow(/hue/);
    expect(() => new Normalize({ mean: [1, 2, 3], std: [1, 0, 1] })).toThrow(/std/);
    expect(() => compose([], { layout: 'nhwc' as 'hwc' })).toThrow(/layout/);
    expect(() => new RandomCrop(10, { padding: -1 })).toThrow(/padding/);
    expect(() => new Resize(0)).toThrow(RangeError);
  });
});

describe('float path matches the 8-bit path up to rounding', () => {
  it('geometry on a decoded tensor is within half a grey level of the encoded path', async () => {
    const t = [new ResizedCrop({ left: 4, top: 2, width: 41, height: 37 }, [17, 23]), new HorizontalFlip()];
    const enc = await compose(t, { resampler: 'pil' }).apply(png, Rng.from(0));
    const dec = await compose(t).apply(await compose([]).apply(png, Rng.from(0)), Rng.from(0));
    // The 8-bit path rounds after each of two passes: at most 1 level apart.
    expect(diff(enc.data, dec.data).max).toBeLessThanOrEqual(1);
  });
});

describe('header sizes', () => {
  it('JPEG and PNG header sizes agree with sharp metadata; other formats defer to sharp', async () => {
    const { headerSize } = await import('../src/index.js');
    for (const f of ['rgb-64x48.png', 'rgb-64x48-q90.jpg', 'gray-40x30.png']) {
      const bytes = readFileSync(fixture(f));
      const m = await sharp(bytes).metadata();
      expect(headerSize(bytes)).toEqual({ width: m.width, height: m.height });
    }
    const progressive = await sharp(png).jpeg({ progressive: true }).withMetadata().toBuffer();
    expect(headerSize(progressive)).toEqual({ width: 64, height: 48 });
    const webp = await sharp(png).webp().toBuffer();
    expect(headerSize(webp)).toBeNull();
    const out = await compose([new CenterCrop(10)]).apply(webp, Rng.from(0));
    expect(out.shape).toEqual([10, 10, 3]);
  });
});

describe('fused passes equal the step-by-step ones', () => {
  it('ColorJitter in one or two passes equals the adjustments run one by one', async () => {
    const {
      adjustBrightness,
      adjustContrast,
      adjustHue,
      adjustSaturation,
      applyColorJitter,
      colorJitterParams,
    } = await import('../src/index.js');
    const base = await compose([new CenterCrop(20)]).apply(png, Rng.from(0));
    const rng = Rng.from(31);
    const fns = {
      brightness: adjustBrightness,
      contrast: adjustContrast,
      saturation: adjustSaturation,
      hue: adjustHue,
    };
    for (let k = 0; k < 30; k++) {
      const params = colorJitterParams({ brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.3 }, rng);
      let want = base;
      for (const op of params.order) want = fns[op](want, params[op] as number);
      const got = applyColorJitter({ ...base, data: base.data.slice() }, params);
      expect(diff(got.data, want.data).max).toBeLessThan(1e-3);
    }
  });

  it('lighting and normalisation folded into the layout change equal applying them in turn', async () => {
    const { applyLighting, lightingParams, Lighting, normalizeInPlace, IMAGENET_MEAN, IMAGENET_STD } =
      await import('../src/index.js');
    const crop = new ResizedCrop({ left: 3, top: 2, width: 40, height: 30 }, [12, 16]);
    const fused = await compose([crop, new Lighting(), new Normalize()], { layout: 'chw' }).apply(
      png,
      Rng.from(8),
    );
    const plain = await compose([crop]).apply(png, Rng.from(0));
    applyLighting(plain, lightingParams(0.1, Rng.from(8)));
    normalizeInPlace(plain, IMAGENET_MEAN, IMAGENET_STD);
    expect(diff(fused.data, toLayout(plain, 'chw').data).max).toBeLessThan(1e-5);
  });
});

describe('JPEG shrink-on-load (fast resampler)', () => {
  it('a crop 4x the output decodes at half scale and stays close to the exact PIL result', async () => {
    const { jpegShrink } = await import('../src/decode.js');
    expect(jpegShrink({ width: 500, height: 460 }, { width: 224, height: 224 })).toBe(1);
    expect(jpegShrink({ width: 1000, height: 900 }, { width: 224, height: 224 })).toBe(2);
    expect(jpegShrink({ width: 2000, height: 1900 }, { width: 224, height: 224 })).toBe(4);
    expect(jpegShrink({ width: 4000, height: 3000 }, { width: 224, height: 224 })).toBe(4);
    expect(jpegShrink({ width: 8000, height: 6000 }, { width: 224, height: 224 })).toBe(8);
    // a smooth 400x300 JPEG: its detail survives a 1/4-scale DCT decode
    const w = 400;
    const h = 300;
    const px = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        px[o] = 128 + 100 * Math.sin(x / 23);
        px[o + 1] = 128 + 100 * Math.cos(y / 17);
        px[o + 2] = (x + y) % 256 < 128 ? 60 : 190;
      }
    const jpeg = await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    const t = [
      new ResizedCrop({ left: 37, top: 21, width: 333, height: 250 }, [60, 80]),
      new HorizontalFlip(),
    ];
    const fast = await compose(t, { resampler: 'fast' }).apply(jpeg, Rng.from(0));
    const exact = await compose(t, { resampler: 'pil' }).apply(jpeg, Rng.from(0));
    expect(fast.shape).toEqual([60, 80, 3]);
    const d = diff(fast.data, exact.data);
    expect(d.mean).toBeLessThan(1);
    expect(d.mean).toBeGreaterThan(0); // it did take the other path
  });
});
