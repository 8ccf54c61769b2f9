import { type Dirent, existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import type { Rng } from '@bot/rng';
import { checkIndex, type Dataset, type Sample } from './dataset.js';
import { type DecodeOptions, decodeImage, type Transform } from './image.js';

/** File extensions recognised as images (case-insensitive): the formats sharp decodes. */
export const IMAGE_EXTENSIONS: readonly string[] = [
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.tif',
  '.tiff',
  '.gif',
  '.avif',
];

export interface ImageFolderOptions extends DecodeOptions {
  /** Decodes and augments each image (given the file path). Without one, the image is decoded to HWC 0-255. */
  transform?: Transform;
  /** Recognised extensions, lower case with the dot. Default `IMAGE_EXTENSIONS`. */
  extensions?: readonly string[];
  /** Accept class folders without images (they keep their label). Default false: it is an error. */
  allowEmptyClasses?: boolean;
}

/** A file the scan passed over, with the reason. */
export interface IgnoredFile {
  path: string;
  reason: string;
}

/**
 * torchvision's `ImageFolder`: `root/<class>/**\/<image>`, one class per sub-folder, classes sorted by name
 * (code-point order, as Python's `sorted`), label = the class's position, files sorted within a class.
 * Files without an image extension are passed over and listed in `ignored`.
 */
export class ImageFolder implements Dataset {
  readonly root: string;
  readonly classes: readonly string[];
  readonly classToIndex: ReadonlyMap<string, number>;
  readonly samples: readonly { readonly path: string; readonly label: number }[];
  readonly ignored: readonly IgnoredFile[];
  private readonly transform: Transform | undefined;
  private readonly decodeOptions: DecodeOptions;

  constructor(root: string, options: ImageFolderOptions = {}) {
    this.root = root;
    this.transform = options.transform;
    this.decodeOptions = { size: options.size, channels: options.channels };
    const extensions = new Set((options.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase()));

    let entries: Dirent[];
    try {
      entries = readdirSync(root, { withFileTypes: true });
    } catch (err) {
      throw new Error(`root must be a readable directory, got ${root}: ${(err as Error).message}`);
    }
    const ignored: IgnoredFile[] = [];
    const classes: string[] = [];
    for (const entry of entries) {
      if (isDirectory(root, entry)) classes.push(entry.name);
      else ignored.push({ path: join(root, entry.name), reason: 'not inside a class folder' });
    }
    classes.sort(byCodePoint);
    if (classes.length === 0) {
      throw new Error(`root ${root} has no class folders; expected the layout root/<class>/<image>`);
    }

    const samples: { path: string; label: number }[] = [];
    const empty: string[] = [];
    for (const [label, name] of classes.entries()) {
      const before = samples.length;
      walk(join(root, name), (path) => {
        if (extensions.has(extname(path).toLowerCase())) samples.push({ path, label });
        else ignored.push({ path, reason: 'not an image extension' });
      });
      if (samples.length === before) empty.push(name);
    }
    if (empty.length > 0 && !options.allowEmptyClasses) {
      const shown = empty.slice(0, 5).join(', ') + (empty.length > 5 ? `, ... (${empty.length} in all)` : '');
      throw new Error(
        `root ${root}: class folder(s) with no images (${[...extensions].join(' ')}): ${shown}; ` +
          'remove them or pass allowEmptyClasses: true',
      );
    }
    if (samples.length === 0) throw new Error(`root ${root} has no images`);

    this.classes = classes;
    this.classToIndex = new Map(classes.map((name, i) => [name, i]));
    this.samples = samples;
    this.ignored = ignored;
  }

  get length(): number {
    return this.samples.length;
  }

  describe(index: number): string {
    checkIndex(index, this.samples.length);
    return this.samples[index]!.path;
  }

  /** The path relative to the root, e.g. `n01440764/n01440764_10026.JPEG`. */
  relativePath(index: number): string {
    return relative(this.root, this.describe(index));
  }

  async load(index: number, rng: Rng): Promise<Sample> {
    checkIndex(index, this.samples.length);
    const { path, label } = this.samples[index]!;
    const image = this.transform
      ? await this.transform.apply(path, rng)
      : await decodeImage(path, this.decodeOptions);
    return { image, label };
  }
}

/** Scans `root/<class>/<image>` (see `ImageFolder`). Synchronous; `await imageFolder(...)` works as well. */
export function imageFolder(root: string, options: ImageFolderOptions = {}): ImageFolder {
  return new ImageFolder(root, options);
}

/**
 * The folder names accepted for each split of a dataset root, in the order they are tried: `val/` as
 * torchvision's ImageNet layout has it, and `validation/`, timm's default name (timm's `_search_split`
 * tries its synonyms in this order too).
 */
export const SPLIT_FOLDERS: { readonly train: readonly string[]; readonly val: readonly string[] } = {
  train: ['train'],
  val: ['val', 'validation'],
};

/** An `ImageFolder` of one split of a dataset root, saying which folder it took. */
export class ImageFolderSplit extends ImageFolder {
  /** The split asked for. */
  readonly split: 'train' | 'val';
  /** The folder name used, e.g. `validation` when the root has `validation/` and no `val/`. */
  readonly folder: string;

  constructor(root: string, split: 'train' | 'val', options: ImageFolderOptions = {}) {
    const folder = findSplitFolder(root, split);
    super(join(root, folder), options);
    this.split = split;
    this.folder = folder;
  }
}

/**
 * The folder of `split` under a dataset root: the first of `SPLIT_FOLDERS[split]` that is a directory
 * (`val/`, else `validation/`). Throws an error naming every accepted folder when none is there.
 */
export function findSplitFolder(root: string, split: 'train' | 'val'): string {
  const names = SPLIT_FOLDERS[split];
  if (!names) throw new RangeError(`split must be 'train' or 'val', got ${JSON.stringify(split)}`);
  for (const name of names) {
    const path = join(root, name);
    if (existsSync(path) && statSync(path).isDirectory()) return name;
  }
  throw new Error(
    `root ${root} has no ${split} split: expected a folder ${names.map((n) => `${n}/`).join(' or ')} holding <class>/<image>`,
  );
}

/**
 * One split of an ImageNet-style root (`root/train/<class>/...`, `root/val/<class>/...` or
 * `root/validation/<class>/...`) as an `ImageFolder`; `.folder` says which folder it used.
 */
export function imageFolderSplit(
  root: string,
  split: 'train' | 'val',
  options: ImageFolderOptions = {},
): ImageFolderSplit {
  return new ImageFolderSplit(root, split, options);
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isDirectory(parent: string, entry: Dirent): boolean {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(join(parent, entry.name)).isDirectory();
  } catch {
    return false;
  }
}

function walk(dir: string, visit: (path: string) => void): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => byCodePoint(a.name, b.name));
  for (const entry of entries) {
    if (isDirectory(dir, entry)) walk(join(dir, entry.name), visit);
    else visit(join(dir, entry.name));
  }
}
