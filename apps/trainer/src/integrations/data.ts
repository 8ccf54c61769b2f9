import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mixup } from '@bot/augment';
import {
  type Batch,
  DataLoader,
  type Dataset,
  fashionMnist,
  type ImageFolderSplit,
  imageFolderSplit,
  writeSyntheticImageFolder,
} from '@bot/data';
import type { TrainConfig } from '../config.js';
import { TrainerError } from '../errors.js';
import { type Augmentation, buildAugmentation, type Preprocess } from './augmentation.js';
import { type DeviceAugmentation, deviceAugmentation } from './device-augmentation.js';
import { StoredImageFolder } from './stored-images.js';

export { type Batch, DataLoader, type Dataset, mixup };

export interface OpenedData {
  readonly train: Dataset;
  readonly val: Dataset;
  readonly classes: readonly string[];
  readonly inputChannels: number;
  readonly description: string;
  /** What the train and validation pipelines do, for the run's output. */
  readonly augmentation: string;
  /** How the model's input is made from an image (exports write it as preprocess.json). */
  readonly preprocess: Preprocess;
  /**
   * With --augment-on device: the training transforms on tensors (`train` then holds the decoded images at
   * one stored size, not augmented). Null on the host path.
   */
  readonly trainOnDevice: DeviceAugmentation | null;
}

// Fashion-MNIST's pixel mean and standard deviation on the 0-255 scale (0.2860 and 0.3530 of 255).
const FASHION_MEAN = [72.94];
const FASHION_STD = [90.02];

/** The first `n` items of a dataset (quick runs and tests). */
function firstItems(dataset: Dataset, n: number | null): Dataset {
  if (n === null || n >= dataset.length) return dataset;
  // Spread the subset over the whole set: Fashion-MNIST and ImageFolders are stored class by class.
  const stride = dataset.length / n;
  const pick = (i: number) => Math.floor(i * stride);
  return {
    length: n,
    classes: dataset.classes,
    load: (index, rng) => dataset.load(pick(index), rng),
    describe: (index) => dataset.describe?.(pick(index)) ?? `#${pick(index)}`,
  };
}

/**
 * One split of an ImageFolder root: train/, and val/ or timm's validation/ (`.folder` says which), with the
 * split's pipeline, or none (`raw`: the device path's training images, decoded by StoredImageFolder).
 */
function openFolder(
  root: string,
  split: 'train' | 'val',
  augmentation: Augmentation,
  raw = false,
): ImageFolderSplit {
  const transform = split === 'train' ? augmentation.train : augmentation.val;
  try {
    return imageFolderSplit(root, split, raw ? {} : { transform });
  } catch (error) {
    throw new TrainerError(
      `data = ${JSON.stringify(root)}: ${(error as Error).message}; an ImageFolder root holds train/<class>/<images> and val/<class>/<images> (or validation/<class>/<images>)`,
    );
  }
}

async function syntheticRoot(config: TrainConfig, cacheDir: string): Promise<string> {
  const root = join(
    cacheDir,
    `synthetic-c${config.syntheticClasses}-n${config.syntheticPerClass}-s${config.syntheticSize}-seed${config.seed}`,
  );
  const marker = join(root, '.complete');
  if (!existsSync(marker)) {
    await writeSyntheticImageFolder(root, {
      classes: config.syntheticClasses,
      size: config.syntheticSize,
      seed: config.seed,
      split: { train: config.syntheticPerClass, val: config.syntheticPerClass },
    });
    await writeFile(marker, '');
  }
  return root;
}

/** The training and validation sets a config names, with their transforms. */
export async function openData(config: TrainConfig, cacheDir: string): Promise<OpenedData> {
  if (config.data === 'fashion-mnist') {
    // Fashion-MNIST's 'small' recipe pads by 2 (a random 28-px crop of the image padded to 32).
    const augmentation = buildAugmentation(
      config,
      { mean: FASHION_MEAN, std: FASHION_STD },
      { channels: 1, padding: 2, atInputSize: true },
    );
    const trainOnDevice = deviceAugmentation(config, augmentation, 'one');
    const [train, val] = await Promise.all([
      // On the device path the training images go out as they are (28x28, one size).
      fashionMnist({ split: 'train', ...(trainOnDevice ? {} : { transform: augmentation.train }) }),
      fashionMnist({ split: 'test', transform: augmentation.val }),
    ]);
    if (config.inputSize !== 28) {
      throw new TrainerError(
        `inputSize = ${config.inputSize}: Fashion-MNIST images are 28x28; use --input-size 28`,
        2,
      );
    }
    return {
      train: firstItems(train, config.trainLimit),
      val: firstItems(val, config.valLimit),
      classes: train.classes,
      inputChannels: 1,
      description: 'Fashion-MNIST',
      augmentation: augmentation.description + (trainOnDevice?.description ?? ''),
      preprocess: augmentation.preprocess,
      trainOnDevice,
    };
  }
  let root = config.data;
  let description = `ImageFolder ${root}`;
  if (config.data === 'synthetic') {
    root = await syntheticRoot(config, cacheDir);
    description = `synthetic shapes (${config.syntheticClasses} classes, ${config.syntheticSize} px)`;
  } else if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new TrainerError(
      `data = ${JSON.stringify(root)}: no such folder; pass --data fashion-mnist, --data synthetic, or an ImageFolder root holding train/ and val/`,
      2,
    );
  }
  const augmentation = buildAugmentation(config);
  const trainOnDevice = deviceAugmentation(config, augmentation, 'many');
  const folder = openFolder(root, 'train', augmentation, trainOnDevice !== null);
  const cpu = trainOnDevice?.cpu;
  const train = cpu ? new StoredImageFolder(folder, cpu.transforms, cpu.recordSourceSize) : folder;
  const val = openFolder(root, 'val', augmentation);
  if (config.data !== 'synthetic') description += ` (${folder.folder}/, ${val.folder}/)`;
  if (train.classes.join('\n') !== val.classes.join('\n')) {
    throw new TrainerError(
      `data = ${JSON.stringify(root)}: train/ has ${train.classes.length} classes and ${val.folder}/ has ${val.classes.length}; they must hold the same class folders`,
    );
  }
  return {
    train: firstItems(train, config.trainLimit),
    val: firstItems(val, config.valLimit),
    classes: train.classes,
    inputChannels: 3,
    description,
    augmentation: augmentation.description + (trainOnDevice?.description ?? ''),
    preprocess: augmentation.preprocess,
    trainOnDevice,
  };
}
