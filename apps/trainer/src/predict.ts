import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { CenterCrop, compose, IMAGENET_MEAN, IMAGENET_STD, Normalize, Resize } from '@bot/augment';
import { decodeImage, IMAGE_EXTENSIONS } from '@bot/data';
import { Rng } from '@bot/rng';
import * as tf from '@tensorflow/tfjs';
import type { ConfigPatch } from './config.js';
import { ConfigError, TrainerError } from './errors.js';
import { type InferenceModel, loadForInference } from './inference.js';
import type { Preprocess } from './integrations/augmentation.js';
import { chooseBackend } from './integrations/backend.js';

export interface PredictOptions {
  /** Classes to print per image (default 5). */
  readonly top?: number;
  readonly json?: boolean;
  readonly backend?: string;
  /** For a .safetensors file: the architecture (depth, variant, width, stem, inputSize). */
  readonly architecture?: ConfigPatch;
  readonly write?: (line: string) => void;
}

export interface Prediction {
  readonly image: string;
  readonly top: { readonly class: string; readonly index: number; readonly probability: number }[];
}

/** Image files named on the command line: files as given, folders walked (sorted) for image extensions. */
export function imageFiles(paths: readonly string[]): string[] {
  const extensions = new Set<string>(IMAGE_EXTENSIONS);
  const walk = (path: string): string[] => {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(path);
    } catch {
      throw new ConfigError(`image ${JSON.stringify(path)}: no such file or folder`);
    }
    if (!stat.isDirectory()) return [path];
    return readdirSync(path)
      .sort()
      .flatMap((name) => {
        const child = join(path, name);
        return statSync(child).isDirectory() || extensions.has(extname(name).toLowerCase())
          ? walk(child)
          : [];
      });
  };
  const files = paths.flatMap(walk);
  if (files.length === 0) throw new ConfigError(`images = ${JSON.stringify(paths)}: no image files in them`);
  return files;
}

/** The model's input pipeline: preprocess.json's, or the validation transform of its input size. */
function inputPipeline(loaded: InferenceModel) {
  const size = loaded.config.inputSize;
  const p: Pick<Preprocess, 'mean' | 'std' | 'resize' | 'crop'> = loaded.preprocess ?? {
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
    resize: Math.round(size / 0.875),
    crop: size,
  };
  return compose([new Resize(p.resize), new CenterCrop(p.crop), new Normalize({ mean: p.mean, std: p.std })]);
}

/** Top-k classes and softmax probabilities of each image. */
export async function predictImages(model: string, images: readonly string[], options: PredictOptions = {}) {
  const top = options.top ?? 5;
  if (!Number.isInteger(top) || top < 1) throw new ConfigError(`top = ${top}: must be an integer >= 1`);
  await chooseBackend((options.backend ?? 'auto') as never);
  const loaded = await loadForInference(model, options.architecture);
  const pipeline = inputPipeline(loaded);
  const names = loaded.classes ?? Array.from({ length: loaded.numClasses }, (_, i) => `class ${i}`);
  const k = Math.min(top, loaded.numClasses);
  const results: Prediction[] = [];
  try {
    for (const image of imageFiles(images)) {
      let decoded: Awaited<ReturnType<typeof decodeImage>>;
      try {
        decoded = await decodeImage(image, { channels: loaded.inputChannels === 1 ? 1 : 3 });
      } catch (error) {
        throw new TrainerError(`image ${image}: cannot decode it: ${(error as Error).message}`);
      }
      const input = await pipeline.apply(decoded, Rng.from(0));
      const [values, indices] = tf.tidy(() => {
        const logits = loaded.model.predict(tf.tensor4d(input.data, [1, ...input.shape])) as tf.Tensor2D;
        const { values, indices } = tf.topk(tf.softmax(logits), k);
        return [values.dataSync(), indices.dataSync()];
      });
      const row = Array.from(indices, (index, i) => ({
        class: names[index] ?? `class ${index}`,
        index,
        probability: values[i] as number,
      }));
      results.push({ image, top: row });
    }
  } finally {
    loaded.model.dispose();
  }
  return { model: loaded.description, predictions: results };
}

/** `bot-train predict <model> <images...>`: top-k class names and probabilities, or JSON with --json. */
export async function predictCommand(model: string, images: readonly string[], options: PredictOptions = {}) {
  const write = options.write ?? ((line: string) => console.log(line));
  const result = await predictImages(model, images, options);
  if (options.json) {
    write(JSON.stringify(result, null, 2));
    return 0;
  }
  for (const p of result.predictions) {
    write(p.image);
    for (const t of p.top) write(`  ${(100 * t.probability).toFixed(2).padStart(6)}%  ${t.class}`);
  }
  return 0;
}
