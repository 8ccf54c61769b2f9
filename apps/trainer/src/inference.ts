import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { architectureOf, assignWeights, readCheckpoint } from './checkpoint.js';
import type { ConfigPatch, TrainConfig } from './config.js';
import { ConfigError, TrainerError } from './errors.js';
import { EXPORT_FILES } from './export.js';
import { modelFromSafetensors, readSafetensorsFile } from './initial-checkpoint.js';
import type { Preprocess } from './integrations/augmentation.js';
import { resnet, resnetConfigOf } from './integrations/model.js';
import { resolveConfig } from './resolve.js';
import { RunFolder } from './run-folder.js';

/** A model ready for inference, with what is known about its classes and input. */
export interface InferenceModel {
  readonly model: tf.LayersModel;
  /** The run's config (a checkpoint's own; for a safetensors file, the flags over the baseline preset). */
  readonly config: TrainConfig;
  readonly numClasses: number;
  readonly inputChannels: number;
  /** Class names from classes.json beside the weights, when there is one. */
  readonly classes: readonly string[] | null;
  /** preprocess.json beside the weights, when there is one. */
  readonly preprocess: Preprocess | null;
  readonly description: string;
}

function readJson<T>(path: string): T | null {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : null;
}

/** A safetensors file (or an export folder holding model.safetensors, classes.json and preprocess.json). */
async function fromSafetensors(path: string, flags: ConfigPatch): Promise<InferenceModel> {
  const dir = dirname(path);
  const preprocess = readJson<Preprocess & { architecture?: ConfigPatch }>(
    join(dir, EXPORT_FILES.preprocess),
  );
  const classes = readJson<string[]>(join(dir, EXPORT_FILES.classes));
  const { bytes, shapes } = await readSafetensorsFile(path, 'model');
  const fc = shapes.get('fc.weight');
  const conv = shapes.get('conv1.weight') ?? shapes.get('conv1.0.weight');
  if (!fc || !conv) {
    throw new TrainerError(
      `${path} has no fc.weight or conv1 weight: not a ResNet state_dict with timm/torchvision keys`,
    );
  }
  // The ImageNet setting (224 px, ImageNet stem), then what the export says, then the flags.
  const config = resolveConfig(
    { ...(preprocess ? { inputSize: preprocess.inputSize, ...preprocess.architecture } : {}), ...flags },
    { preset: 'baseline', data: flags.data ?? 'none' },
  );
  const numClasses = fc[0] as number;
  const inputChannels = conv[1] as number;
  const resnetConfig = resnetConfigOf(config, numClasses, inputChannels);
  const model = modelFromSafetensors(
    resnetConfig,
    bytes,
    `${path} does not fit ${architectureOf(config, numClasses, inputChannels)}`,
    '; pass --model (or --depth/--variant/--width/--stem) to match the file',
  );
  const description = `${path} (${architectureOf(config, numClasses, inputChannels)})`;
  return { model, config, numClasses, inputChannels, classes, preprocess, description };
}

/** A bot-train checkpoint (.ckpt) or run folder: self-describing; classes and preprocessing from its export. */
async function fromCheckpoint(path: string): Promise<InferenceModel> {
  const file = RunFolder.checkpointOf(path);
  const { state, weights } = await readCheckpoint(file);
  const model = resnet(resnetConfigOf(state.config, state.numClasses, state.inputChannels));
  assignWeights(model, weights, `checkpoint ${file}`, (d, s) => tf.tensor(d, s));
  const exportDir = new RunFolder(dirname(dirname(file))).exportDir;
  return {
    model,
    config: state.config,
    numClasses: state.numClasses,
    inputChannels: state.inputChannels,
    classes: readJson<string[]>(join(exportDir, EXPORT_FILES.classes)),
    preprocess: readJson<Preprocess>(join(exportDir, EXPORT_FILES.preprocess)),
    description: `${file} (${architectureOf(state.config, state.numClasses, state.inputChannels)})`,
  };
}

/**
 * Loads what `eval` and `predict` take: a run folder, a .ckpt, an export folder, or a timm/torchvision
 * .safetensors file (architecture from --model/--depth/--variant/--width, or the export's preprocess.json).
 */
export async function loadForInference(path: string, flags: ConfigPatch = {}): Promise<InferenceModel> {
  if (!existsSync(path)) throw new TrainerError(`${path} does not exist`);
  const isDir = statSync(path).isDirectory();
  const exported = isDir ? join(path, 'model.safetensors') : null;
  if (exported && existsSync(exported) && !existsSync(new RunFolder(path).checkpoint)) {
    return fromSafetensors(exported, flags);
  }
  if (path.endsWith('.safetensors')) return fromSafetensors(path, flags);
  if (isDir && !existsSync(new RunFolder(path).checkpoint)) {
    throw new ConfigError(
      `${path}: not a run folder (no checkpoints/last.ckpt) nor an export folder (no model.safetensors)`,
    );
  }
  return fromCheckpoint(path);
}
