import { createRequire } from 'node:module';
import { Rng } from '@bot/rng';
import type { TrainConfig } from '../config.js';
import { TrainerError } from '../errors.js';

// FALLBACK until @bot/data and @bot/augment land: Fashion-MNIST only.
export interface ImageTensor {
  data: Float32Array;
  shape: [number, number, number];
  layout: 'hwc' | 'chw';
}
export interface Dataset {
  readonly length: number;
  readonly classes: readonly string[];
  load(index: number, rng: Rng): Promise<{ image: ImageTensor; label: number }>;
}
export interface Batch {
  images: Float32Array;
  shape: [number, number, number, number];
  labels: Int32Array;
  indices: Uint32Array;
}

const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

function fashion(split: 'train' | 'test', train: boolean): Dataset {
  const require = createRequire(import.meta.url);
  const items: { pixels: number[]; label: number }[] = [];
  for (let k = 0; k < 10; k++) {
    const rows = (require(`fashion-mnist/src/clothes/${k}.json`) as { data: number[][] }).data;
    const [from, to] = split === 'train' ? [0, 6000] : [6000, 7000];
    for (let i = from; i < Math.min(to, rows.length); i++) items.push({ pixels: rows[i]!, label: k });
  }
  return {
    length: items.length,
    classes: FASHION_CLASSES,
    async load(index, rng) {
      const item = items[index]!;
      const flip = train && rng.uniform() < 0.5;
      const data = new Float32Array(784);
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) data[y * 28 + x] = (item.pixels[y * 28 + (flip ? 27 - x : x)]! / 255 - 0.286) / 0.353;
      return { image: { data, shape: [28, 28, 1], layout: 'hwc' }, label: item.label };
    },
  };
}

export interface OpenedData {
  train: Dataset;
  val: Dataset;
  classes: readonly string[];
  inputChannels: number;
  description: string;
}

function limit(ds: Dataset, n: number | null): Dataset {
  if (n === null || n >= ds.length) return ds;
  return { length: n, classes: ds.classes, load: (i, r) => ds.load(i, r) };
}

export async function openData(config: TrainConfig, _cacheDir: string): Promise<OpenedData> {
  if (config.data !== 'fashion-mnist') throw new TrainerError(`data ${config.data}: needs @bot/data`);
  return {
    train: limit(fashion('train', true), config.trainLimit),
    val: limit(fashion('test', false), config.valLimit),
    classes: FASHION_CLASSES,
    inputChannels: 1,
    description: 'Fashion-MNIST',
  };
}

export class DataLoader {
  skipped: { path: string; reason: string }[] = [];
  constructor(
    private readonly dataset: Dataset,
    private readonly options: { batchSize: number; seed: number; shuffle: boolean; dropLast: boolean; concurrency: number },
  ) {}
  get batchesPerEpoch(): number {
    const n = this.dataset.length / this.options.batchSize;
    return this.options.dropLast ? Math.floor(n) : Math.ceil(n);
  }
  async *epoch(epochIndex: number, opts: { startBatch?: number } = {}): AsyncIterable<Batch> {
    const order = this.options.shuffle ? Rng.derive(this.options.seed, epochIndex).permutation(this.dataset.length) : Uint32Array.from({ length: this.dataset.length }, (_, i) => i);
    for (let b = opts.startBatch ?? 0; b < this.batchesPerEpoch; b++) {
      const idx = order.subarray(b * this.options.batchSize, Math.min(order.length, (b + 1) * this.options.batchSize));
      const samples = await Promise.all(Array.from(idx, (i) => this.dataset.load(i, Rng.derive(this.options.seed, epochIndex, i))));
      const [h, w, c] = samples[0]!.image.shape;
      const images = new Float32Array(idx.length * h * w * c);
      samples.forEach((s, k) => images.set(s.image.data, k * h * w * c));
      yield { images, shape: [idx.length, h, w, c], labels: Int32Array.from(samples, (s) => s.label), indices: Uint32Array.from(idx) };
    }
  }
  close(): void {}
}
