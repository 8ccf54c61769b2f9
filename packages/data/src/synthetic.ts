import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng, type Seed } from '@bot/rng';
import sharp from 'sharp';
import { checkSize } from './image.js';

const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'cross', 'ring', 'star', 'hexagon'] as const;
const COLOURS: readonly (readonly [string, readonly [number, number, number]])[] = [
  ['red', [220, 40, 40]],
  ['green', [40, 180, 60]],
  ['blue', [40, 80, 220]],
  ['yellow', [235, 215, 40]],
  ['magenta', [210, 50, 200]],
  ['cyan', [40, 210, 220]],
  ['orange', [245, 140, 30]],
  ['purple', [120, 50, 170]],
  ['white', [245, 245, 245]],
  ['black', [15, 15, 15]],
];
/** The most classes the generator can make: one per (shape, colour) pair. */
export const MAX_SYNTHETIC_CLASSES = SHAPES.length * COLOURS.length;

export interface SyntheticImageFolderOptions {
  /** Number of classes, 1 to `MAX_SYNTHETIC_CLASSES` (80). */
  classes: number;
  /** Images per class (when `split` is not given). */
  perClass?: number;
  /** Image size, a square side or `[height, width]`. Default 64. */
  size?: number | readonly [number, number];
  seed: Seed;
  /** Images per class per split folder, e.g. `{ train: 40, val: 10 }` writes `root/train/<class>/...`. */
  split?: Readonly<Record<string, number>>;
  /** JPEG quality 1-100. Default 90. */
  quality?: number;
}

export interface SyntheticImageFolder {
  root: string;
  /** Class folder names, sorted: the label of `classes[i]` is i. */
  classes: string[];
  /** The dataset roots written: `root` itself, or `root/<split>` for each split. */
  roots: Record<string, string>;
  /** Number of files written. */
  files: number;
}

/**
 * The class of index i: shape `i % 8` and colour `(i % 8 + floor(i / 8)) % 10`, so the first eight classes
 * differ in both shape and colour and all 80 (shape, colour) pairs are reachable.
 */
export function syntheticClassName(index: number): string {
  const s = index % SHAPES.length;
  const c = (s + Math.floor(index / SHAPES.length)) % COLOURS.length;
  return `${String(index).padStart(2, '0')}-${COLOURS[c]![0]}-${SHAPES[s]}`;
}

function checkCount(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/**
 * Writes an ImageFolder of coloured shapes on textured backgrounds as JPEG, deterministic for a seed:
 * the class is the (shape, colour) pair; position, size, rotation, colour shade and background vary per
 * image. For tests, demos and benchmarks of the JPEG pipeline.
 */
export async function writeSyntheticImageFolder(
  root: string,
  options: SyntheticImageFolderOptions,
): Promise<SyntheticImageFolder> {
  const numClasses = checkCount('classes', options.classes, 1, MAX_SYNTHETIC_CLASSES);
  const [height, width] = checkSize('size', options.size ?? 64);
  const quality = checkCount('quality', options.quality ?? 90, 1, 100);
  const splits: [string, number][] = options.split
    ? Object.entries(options.split)
    : [['', checkCount('perClass', options.perClass, 1, 1_000_000)]];
  if (splits.length === 0) throw new RangeError('split must name at least one split, got {}');
  for (const [name, count] of splits) {
    if (options.split && !/^[\w.-]+$/.test(name)) {
      throw new RangeError(`split names must be plain folder names, got ${JSON.stringify(name)}`);
    }
    checkCount(options.split ? `split.${name}` : 'perClass', count, 1, 1_000_000);
  }

  const classes = Array.from({ length: numClasses }, (_, i) => syntheticClassName(i));
  const roots: Record<string, string> = {};
  const jobs: { path: string; label: number; rng: Rng }[] = [];
  for (const [splitIndex, [name, count]] of splits.entries()) {
    const splitRoot = name ? join(root, name) : root;
    roots[name || '.'] = splitRoot;
    for (const [label, className] of classes.entries()) {
      await mkdir(join(splitRoot, className), { recursive: true });
      for (let j = 0; j < count; j++) {
        const path = join(splitRoot, className, `${String(j).padStart(5, '0')}.jpg`);
        jobs.push({ path, label, rng: Rng.derive(options.seed, splitIndex, label, j) });
      }
    }
  }

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const svg = drawSvg(job.label, width, height, job.rng);
      const jpeg = await sharp(Buffer.from(svg)).jpeg({ quality }).toBuffer();
      await writeFile(job.path, jpeg);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return { root, classes, roots, files: jobs.length };
}

function drawSvg(label: number, width: number, height: number, rng: Rng): string {
  const s = label % SHAPES.length;
  const c = (s + Math.floor(label / SHAPES.length)) % COLOURS.length;
  const parts: string[] = [];
  // Background: a gradient between two muted colours, overlaid with faint random strokes (the texture).
  const muted = () => {
    const base = 70 + rng.int(110);
    return rgb(base + rng.int(40) - 20, base + rng.int(40) - 20, base + rng.int(40) - 20);
  };
  const angle = rng.uniform() * 360;
  parts.push(
    `<defs><linearGradient id="g" gradientTransform="rotate(${angle.toFixed(1)} 0.5 0.5)">` +
      `<stop offset="0" stop-color="${muted()}"/><stop offset="1" stop-color="${muted()}"/></linearGradient></defs>`,
    `<rect width="${width}" height="${height}" fill="url(#g)"/>`,
  );
  const strokes = 12 + rng.int(12);
  for (let i = 0; i < strokes; i++) {
    const x1 = rng.uniform() * width;
    const y1 = rng.uniform() * height;
    const x2 = x1 + (rng.uniform() - 0.5) * width * 0.6;
    const y2 = y1 + (rng.uniform() - 0.5) * height * 0.6;
    const w = (0.5 + rng.uniform() * 2) * Math.max(1, Math.min(width, height) / 64);
    parts.push(
      `<line x1="${f(x1)}" y1="${f(y1)}" x2="${f(x2)}" y2="${f(y2)}" stroke="${muted()}" ` +
        `stroke-width="${f(w)}" stroke-opacity="0.5"/>`,
    );
  }
  // Foreground: the class's shape in a shade of the class's colour.
  const [r, g, b] = COLOURS[c]![1];
  const shade = () => Math.round((rng.uniform() - 0.5) * 40);
  const fill = rgb(r + shade(), g + shade(), b + shade());
  const side = Math.min(width, height);
  const radius = side * (0.18 + rng.uniform() * 0.14);
  const cx = radius + rng.uniform() * (width - 2 * radius);
  const cy = radius + rng.uniform() * (height - 2 * radius);
  const rotation = rng.uniform() * 360;
  parts.push(
    `<g transform="translate(${f(cx)} ${f(cy)}) rotate(${f(rotation)}) scale(${f(radius)})">` +
      `${shapeSvg(SHAPES[s]!, fill)}</g>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** A unit-radius shape centred on the origin. */
function shapeSvg(shape: (typeof SHAPES)[number], fill: string): string {
  const polygon = (points: [number, number][]) =>
    `<polygon points="${points.map(([x, y]) => `${f(x)},${f(y)}`).join(' ')}" fill="${fill}"/>`;
  const regular = (n: number, r = 1, phase = -Math.PI / 2) =>
    Array.from({ length: n }, (_, k): [number, number] => [
      r * Math.cos(phase + (2 * Math.PI * k) / n),
      r * Math.sin(phase + (2 * Math.PI * k) / n),
    ]);
  switch (shape) {
    case 'circle':
      return `<circle r="1" fill="${fill}"/>`;
    case 'square':
      return `<rect x="-0.75" y="-0.75" width="1.5" height="1.5" fill="${fill}"/>`;
    case 'triangle':
      return polygon(regular(3));
    case 'diamond':
      return polygon([
        [0, -1],
        [0.6, 0],
        [0, 1],
        [-0.6, 0],
      ]);
    case 'cross':
      return `<rect x="-1" y="-0.3" width="2" height="0.6" fill="${fill}"/><rect x="-0.3" y="-1" width="0.6" height="2" fill="${fill}"/>`;
    case 'ring':
      return `<circle r="0.75" fill="none" stroke="${fill}" stroke-width="0.45"/>`;
    case 'star':
      return polygon(
        regular(10).map(([x, y], k): [number, number] => (k % 2 ? [x * 0.45, y * 0.45] : [x, y])),
      );
    case 'hexagon':
      return polygon(regular(6));
  }
}

function rgb(r: number, g: number, b: number): string {
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  return `rgb(${clamp(r)},${clamp(g)},${clamp(b)})`;
}

function f(v: number): string {
  return v.toFixed(2);
}
