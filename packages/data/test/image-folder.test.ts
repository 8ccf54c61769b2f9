import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '@bot/rng';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Batch,
  DataLoader,
  decodeImage,
  findSplitFolder,
  ImageFolder,
  imageFolder,
  imageFolderSplit,
  SPLIT_FOLDERS,
  syntheticClassName,
  writeSyntheticImageFolder,
} from '../src/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir('folder');
afterAll(() => dir.remove());

function listFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

describe('writeSyntheticImageFolder', () => {
  let first: string;
  beforeAll(async () => {
    first = join(dir.path, 'synth-a');
    await writeSyntheticImageFolder(first, { classes: 3, perClass: 4, size: [20, 24], seed: 42 });
  });

  it('writes root/<class>/<n>.jpg JPEGs of the asked size, class names sorted in label order', async () => {
    const files = listFiles(first);
    expect(files.length).toBe(12);
    const classes = readdirSync(first).sort();
    expect(classes).toEqual([0, 1, 2].map(syntheticClassName));
    expect(classes).toEqual(['00-red-circle', '01-green-square', '02-blue-triangle']);
    const meta = await sharp(files[0]!).metadata();
    expect([meta.format, meta.height, meta.width, meta.channels]).toEqual(['jpeg', 20, 24, 3]);
  });

  it('is deterministic for a seed and differs between seeds', async () => {
    const again = join(dir.path, 'synth-a2');
    const other = join(dir.path, 'synth-b');
    await writeSyntheticImageFolder(again, { classes: 3, perClass: 4, size: [20, 24], seed: 42 });
    await writeSyntheticImageFolder(other, { classes: 3, perClass: 4, size: [20, 24], seed: 43 });
    const bytes = (root: string) => listFiles(root).map((f) => readFileSync(f).toString('base64'));
    expect(bytes(again)).toEqual(bytes(first));
    const differing = bytes(other).filter((b, i) => b !== bytes(first)[i]).length;
    expect(differing).toBe(12);
  });

  it('draws the class colour: the most saturated pixels of each image have its hue', async () => {
    // red, green, blue classes: the dominant channel among strongly coloured pixels names the class.
    const ds = imageFolder(first);
    for (let i = 0; i < ds.length; i++) {
      const { image, label } = await ds.load(i, Rng.from(0));
      const sums = [0, 0, 0];
      for (let p = 0; p < image.data.length; p += 3) {
        const px = [image.data[p]!, image.data[p + 1]!, image.data[p + 2]!];
        if (Math.max(...px) - Math.min(...px) > 100) for (let c = 0; c < 3; c++) sums[c]! += px[c]!;
      }
      expect(sums.indexOf(Math.max(...sums))).toBe(label);
    }
  });

  it('writes split folders and validates its options', async () => {
    const root = join(dir.path, 'synth-split');
    const out = await writeSyntheticImageFolder(root, {
      classes: 2,
      split: { train: 3, val: 1 },
      size: 8,
      seed: 1,
    });
    expect(out.files).toBe(8);
    expect(imageFolder(join(root, 'train')).length).toBe(6);
    expect(imageFolder(join(root, 'val')).length).toBe(2);
    await expect(writeSyntheticImageFolder(root, { classes: 0, perClass: 1, seed: 1 })).rejects.toThrow(
      /classes must be an integer in \[1, 80\], got 0/,
    );
    await expect(writeSyntheticImageFolder(root, { classes: 2, seed: 1 })).rejects.toThrow(/perClass/);
    await expect(
      writeSyntheticImageFolder(root, { classes: 2, perClass: 1, size: 0, seed: 1 }),
    ).rejects.toThrow(RangeError);
  });
});

describe('decodeImage', () => {
  it('round-trips known pixels through PNG, drops alpha, expands grey and resizes', async () => {
    const rgba = Buffer.from(Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 37) % 256));
    const png = await sharp(rgba, { raw: { width: 3, height: 2, channels: 4 } })
      .png()
      .toBuffer();
    const rgb = await decodeImage(png);
    expect(rgb.shape).toEqual([2, 3, 3]);
    expect(rgb.layout).toBe('hwc');
    const expected = Array.from(rgba).filter((_, i) => i % 4 !== 3);
    expect(Array.from(rgb.data)).toEqual(expected);

    const grey = await sharp(Buffer.from([0, 50, 100, 150, 200, 250]), {
      raw: { width: 3, height: 2, channels: 1 },
    })
      .png()
      .toBuffer();
    const expanded = await decodeImage(grey);
    expect(Array.from(expanded.data)).toEqual([
      0, 0, 0, 50, 50, 50, 100, 100, 100, 150, 150, 150, 200, 200, 200, 250, 250, 250,
    ]);
    expect(Array.from((await decodeImage(grey, { channels: 1 })).data)).toEqual([0, 50, 100, 150, 200, 250]);
    expect((await decodeImage(grey, { size: [4, 5] })).shape).toEqual([4, 5, 3]);
    await expect(decodeImage(grey, { size: -1 })).rejects.toThrow(/size must be/);
  });
});

describe('ImageFolder', () => {
  let root: string;
  let goodCount: number;
  beforeAll(async () => {
    root = join(dir.path, 'with-bad');
    await writeSyntheticImageFolder(root, { classes: 3, perClass: 5, size: 16, seed: 7 });
    goodCount = 15;
    const cls = join(root, syntheticClassName(1));
    const real = readFileSync(join(cls, '00000.jpg'));
    writeFileSync(join(cls, 'zero-bytes.jpg'), Buffer.alloc(0));
    writeFileSync(join(cls, 'truncated.jpg'), real.subarray(0, Math.floor(real.length / 2)));
    const noise = Rng.from(1);
    writeFileSync(
      join(root, syntheticClassName(2), 'corrupt.JPEG'),
      Buffer.from(Array.from({ length: 600 }, () => noise.int(256))),
    );
    writeFileSync(join(root, syntheticClassName(0), 'notes.png'), 'this is text, not a PNG');
    writeFileSync(join(root, syntheticClassName(0), 'readme.txt'), 'not an image extension');
    writeFileSync(join(root, 'LICENSE'), 'a file outside any class folder');
  });

  it('lists classes sorted with labels by folder, and passes over non-image files', () => {
    const ds = new ImageFolder(root);
    expect(ds.classes).toEqual([0, 1, 2].map(syntheticClassName));
    expect(ds.length).toBe(goodCount + 4);
    for (const { path, label } of ds.samples) expect(path).toContain(`/${ds.classes[label]}/`);
    expect(ds.samples.map((s) => s.path)).toEqual([...ds.samples.map((s) => s.path)].sort());
    expect(ds.ignored.map((f) => [f.path.slice(root.length), f.reason])).toEqual([
      ['/LICENSE', 'not inside a class folder'],
      [`/${syntheticClassName(0)}/readme.txt`, 'not an image extension'],
    ]);
    expect(ds.relativePath(0)).toBe(`${syntheticClassName(0)}/00000.jpg`);
  });

  it('the loader skips zero-byte, truncated, corrupt and mislabelled files by path and delivers the rest', async () => {
    const ds = imageFolder(root, { size: 12 });
    const loader = new DataLoader(ds, { batchSize: 4, seed: 1 });
    const batches: Batch[] = [];
    for await (const batch of loader.epoch(0)) batches.push(batch);
    const delivered = batches.flatMap((b) => Array.from(b.indices));
    expect(delivered.length).toBe(goodCount);
    expect(batches.every((b) => b.shape.slice(1).join() === '12,12,3')).toBe(true);
    const skipped = loader.skipped.map((s) => s.path.slice(root.length + 1)).sort();
    expect(skipped).toEqual([
      `${syntheticClassName(0)}/notes.png`,
      `${syntheticClassName(1)}/truncated.jpg`,
      `${syntheticClassName(1)}/zero-bytes.jpg`,
      `${syntheticClassName(2)}/corrupt.JPEG`,
    ]);
    for (const s of loader.skipped) expect(s.reason.length).toBeGreaterThan(0);
    for (const b of batches) {
      for (const [k, index] of b.indices.entries()) expect(b.labels[k]).toBe(ds.samples[index]!.label);
    }
  });

  it('fails before training on a missing root, a root without class folders, or an empty class', () => {
    expect(() => imageFolder(join(dir.path, 'nope'))).toThrow(
      /root must be a readable directory, got .*nope/,
    );
    const flat = join(dir.path, 'flat');
    mkdirSync(flat);
    writeFileSync(join(flat, 'a.jpg'), '');
    expect(() => imageFolder(flat)).toThrow(/has no class folders/);
    const withEmpty = join(dir.path, 'with-empty');
    mkdirSync(join(withEmpty, 'cat'), { recursive: true });
    mkdirSync(join(withEmpty, 'dog'), { recursive: true });
    writeFileSync(join(withEmpty, 'cat', 'a.jpg'), '');
    writeFileSync(join(withEmpty, 'dog', 'notes.txt'), '');
    expect(() => imageFolder(withEmpty)).toThrow(/class folder\(s\) with no images .*: dog/);
    const ds = imageFolder(withEmpty, { allowEmptyClasses: true });
    expect([ds.classes, ds.length]).toEqual([['cat', 'dog'], 1]);
    const none = join(dir.path, 'none');
    mkdirSync(join(none, 'cat'), { recursive: true });
    expect(() => imageFolder(none, { allowEmptyClasses: true })).toThrow(/has no images/);
  });

  it('hands the file path and the per-sample rng to a transform', async () => {
    const calls: [string, number][] = [];
    const ds = imageFolder(root, {
      transform: {
        apply: async (input, rng) => {
          calls.push([input as string, rng.uniform()]);
          return { data: new Float32Array(1), shape: [1, 1, 1], layout: 'hwc' };
        },
      },
    });
    await ds.load(3, Rng.derive(5, 0, 3));
    expect(calls).toEqual([[ds.samples[3]!.path, Rng.derive(5, 0, 3).uniform()]]);
  });
});

describe('imageFolderSplit', () => {
  function makeRoot(name: string, splits: string[]): string {
    const root = join(dir.path, name);
    for (const split of splits) {
      mkdirSync(join(root, split, 'cat'), { recursive: true });
      writeFileSync(join(root, split, 'cat', `${split}.jpg`), '');
    }
    return root;
  }

  it("takes val/ or timm's validation/ and says which one it used", () => {
    const torchvision = makeRoot('split-val', ['train', 'val']);
    const timm = makeRoot('split-validation', ['train', 'validation']);
    const val = imageFolderSplit(torchvision, 'val');
    expect([val.split, val.folder, val.root]).toEqual(['val', 'val', join(torchvision, 'val')]);
    const validation = imageFolderSplit(timm, 'val');
    expect([validation.folder, validation.root, validation.length]).toEqual([
      'validation',
      join(timm, 'validation'),
      1,
    ]);
    expect(validation.describe(0)).toBe(join(timm, 'validation', 'cat', 'validation.jpg'));
    expect(validation).toBeInstanceOf(ImageFolder);
    expect(imageFolderSplit(timm, 'train').folder).toBe('train');
    expect(findSplitFolder(timm, 'val')).toBe('validation');
    expect(SPLIT_FOLDERS.val).toEqual(['val', 'validation']);
  });

  it('prefers val/ when both are there, as timm does, and names every accepted folder when none is', () => {
    const both = makeRoot('split-both', ['val', 'validation']);
    expect(imageFolderSplit(both, 'val').folder).toBe('val');
    const neither = makeRoot('split-neither', ['train', 'test']);
    expect(() => imageFolderSplit(neither, 'val')).toThrow(
      /has no val split: expected a folder val\/ or validation\/ holding <class>\/<image>/,
    );
    // a file named validation is not a split folder
    const file = makeRoot('split-file', ['train']);
    writeFileSync(join(file, 'validation'), '');
    expect(() => findSplitFolder(file, 'val')).toThrow(/no val split/);
    expect(() => findSplitFolder(file, 'test' as 'val')).toThrow(
      /split must be 'train' or 'val', got "test"/,
    );
  });
});
