import {
  ColorJitter,
  HorizontalFlip,
  Lighting,
  RandomResizedCrop,
  TensorPipeline,
  type Transform,
} from '@bot/augment/tensor';
import { Rng } from '@bot/rng';
import { clipByValue, dispose, type Tensor4D, tensor4d, tidy, tile } from '@tensorflow/tfjs-core';
import { CLASSES, PIXELS, SIDE, type Split } from './data.js';
import type { Settings } from './settings.js';

interface Column {
  title: string;
  transforms: Transform[];
  rgb?: boolean;
}

function columns(settings: Settings): Column[] {
  const jitter = settings.jitter > 0 ? settings.jitter : 0.4;
  return [
    { title: 'original', transforms: [] },
    ...[1, 2, 3].map((k) => ({
      title: `crop #${k}`,
      transforms: [new RandomResizedCrop(SIDE, { scale: [settings.cropScale, 1] })],
    })),
    { title: 'flip', transforms: [new HorizontalFlip()] },
    {
      title: `jitter ${jitter}`,
      transforms: [new ColorJitter({ brightness: jitter, contrast: jitter })],
    },
    {
      title: 'lighting x5',
      transforms: [new Lighting({ alphaStd: 0.5 })],
      rgb: true,
    },
  ];
}

/** One sample of each of `count` classes from the test split (the first image of each). */
export function pickSamples(test: Split, count: number): number[] {
  const picks: number[] = [];
  for (let c = 0; c < count; c++) {
    const i = Array.from(test.labels).indexOf((c * 3) % CLASSES.length);
    if (i >= 0) picks.push(i);
  }
  return picks;
}

function draw(canvas: HTMLCanvasElement, pixels: Float32Array | Int32Array, channels: number): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const image = ctx.createImageData(SIDE, SIDE);
  for (let p = 0; p < SIDE * SIDE; p++) {
    for (let c = 0; c < 3; c++)
      image.data[p * 4 + c] = pixels[p * channels + (channels === 3 ? c : 0)] as number;
    image.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/**
 * Fills `host` with a table: one row per sample, one column per transform, each cell what the tensor path of
 * @bot/augment does to the real image on the active backend. `draw` is the redraw counter (new random draws).
 */
export async function renderPreviews(
  host: HTMLElement,
  test: Split,
  settings: Settings,
  drawIndex: number,
): Promise<void> {
  const picks = pickSamples(test, 4);
  const n = picks.length;
  const raw = new Float32Array(n * PIXELS);
  picks.forEach((p, i) => {
    raw.set(test.pixels.subarray(p * PIXELS, (p + 1) * PIXELS), i * PIXELS);
  });
  const grey = tensor4d(raw, [n, SIDE, SIDE, 1]);
  const rgb = tidy(() => tile(grey, [1, 1, 1, 3])) as Tensor4D;
  const cols = columns(settings);
  const jitter = settings.jitter > 0 ? settings.jitter : 0.4;
  const results: { data: Float32Array; channels: number }[] = [];
  for (const [k, col] of cols.entries()) {
    const input = col.rgb ? rgb : grey;
    const out = new TensorPipeline(col.transforms).apply(
      input,
      picks.map((p) => Rng.derive(1234 + drawIndex, k, p)),
    );
    const clipped = clipByValue(out, 0, 255);
    results.push({ data: (await clipped.data()) as Float32Array, channels: col.rgb ? 3 : 1 });
    dispose([out, clipped]);
  }
  dispose([grey, rgb]);
  const table = document.createElement('table');
  table.className = 'previews';
  const head = table.insertRow();
  head.insertCell().textContent = '';
  for (const col of cols) {
    const th = document.createElement('th');
    th.textContent = col.title;
    head.appendChild(th);
  }
  picks.forEach((p, i) => {
    const row = table.insertRow();
    row.insertCell().textContent = CLASSES[test.labels[p] as number] ?? '';
    for (const { data, channels } of results) {
      const canvas = document.createElement('canvas');
      canvas.width = SIDE;
      canvas.height = SIDE;
      draw(canvas, data.subarray(i * PIXELS * channels, (i + 1) * PIXELS * channels), channels);
      row.insertCell().appendChild(canvas);
    }
  });
  const caption = document.createElement('p');
  caption.className = 'caption';
  caption.textContent = `crop: RandomResizedCrop(28, scale ${settings.cropScale}-1, ratio 3/4-4/3), three draws; flip: horizontal; jitter: ColorJitter brightness and contrast ${jitter}; lighting x5: AlexNet PCA lighting with alpha std 0.5 (5x the paper's 0.1, to be visible) on the image as RGB.`;
  host.replaceChildren(table, caption);
}
