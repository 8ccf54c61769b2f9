import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { readCheckpoint } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { TrainerError } from './errors.js';
import { loadSafetensors, type ResNetConfig, resnet } from './integrations/model.js';
import { tensorShapes } from './tensor-file.js';

/** Which weights of an initial checkpoint a model took, and which it left at their initial values. */
export interface InitialWeights {
  readonly path: string;
  readonly loaded: string[];
  readonly skipped: string[];
  readonly reason: string | null;
}

/** A safetensors file's bytes, as a plain Uint8Array (@bot/resnet-variants copies with .slice()). */
export async function readSafetensorsFile(
  path: string,
  what: string,
): Promise<{ bytes: Uint8Array; shapes: Map<string, number[]> }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    throw new TrainerError(`${what} = ${JSON.stringify(path)}: cannot read it: ${(error as Error).message}`);
  }
  try {
    return { bytes, shapes: tensorShapes(bytes) };
  } catch (error) {
    throw new TrainerError(
      `${what} = ${JSON.stringify(path)}: not a readable safetensors file: ${(error as Error).message}`,
    );
  }
}

/**
 * A model of `resnetConfig` holding a safetensors state_dict; a file that does not fit throws a TrainerError
 * starting with `what` and ending with `hint`.
 */
export function modelFromSafetensors(
  resnetConfig: ResNetConfig,
  bytes: Uint8Array,
  what: string,
  hint = '',
): tf.LayersModel {
  const model = resnet(resnetConfig);
  try {
    loadSafetensors(model, resnetConfig, bytes);
  } catch (error) {
    model.dispose();
    throw new TrainerError(`${what}: ${(error as Error).message}${hint}`);
  }
  return model;
}

const isClassifier = (key: string) => key.startsWith('fc.');

async function fromSafetensors(
  model: tf.LayersModel,
  resnetConfig: ResNetConfig,
  path: string,
): Promise<InitialWeights> {
  const { bytes, shapes } = await readSafetensorsFile(path, 'initialCheckpoint');
  const fc = shapes.get('fc.weight');
  const otherClasses = fc !== undefined && fc[0] !== resnetConfig.numClasses;
  try {
    const result = loadSafetensors(model, resnetConfig, bytes, {
      strict: false,
      ...(otherClasses ? { skip: isClassifier } : {}),
    });
    const reason = otherClasses
      ? `the file's classifier predicts ${fc?.[0]} classes, the data has ${resnetConfig.numClasses}: fc re-initialised`
      : null;
    return { path, loaded: result.loaded, skipped: [...result.skipped, ...result.unexpected], reason };
  } catch (error) {
    throw new TrainerError(
      `initialCheckpoint ${path} does not fit ResNet-${resnetConfig.depth}-${resnetConfig.variant} width ${resnetConfig.width} (${resnetConfig.inputChannels} input channel(s), ${resnetConfig.stem} stem): ${(error as Error).message}; set --model/--depth/--variant/--width to the file's architecture`,
    );
  }
}

/** A bot-train checkpoint: weights in model order; a classifier of another class count is left out. */
async function fromCheckpoint(model: tf.LayersModel, path: string): Promise<InitialWeights> {
  const { weights } = await readCheckpoint(path);
  const mine = model.weights;
  const fits = (i: number) => weights[i]?.shape.join('x') === mine[i]?.shape.join('x');
  // The classifier (the last Dense kernel and bias) is the only part that may differ.
  const head = mine.length - 2;
  const bodyFits = weights.length === mine.length && mine.every((_, i) => i >= head || fits(i));
  if (!bodyFits) {
    const bad = mine.findIndex((_, i) => !fits(i));
    throw new TrainerError(
      `initialCheckpoint ${path} holds ${weights.length} weight tensors; this model has ${mine.length} (first difference: weight ${bad}, ${mine[bad]?.name ?? '-'}): it is from another architecture`,
    );
  }
  const loaded: string[] = [];
  const skipped: string[] = [];
  mine.forEach((w, i) => {
    const stored = weights[i]!;
    if (!fits(i)) {
      skipped.push(w.name);
      return;
    }
    tf.tidy(() => {
      w.write(tf.tensor(stored.data as Float32Array, [...stored.shape]));
    });
    loaded.push(w.name);
  });
  const reason =
    skipped.length > 0 ? 'the classifier predicts another number of classes: re-initialised' : null;
  return { path, loaded, skipped, reason };
}

/** Starts a model from --initial-checkpoint (timm/torchvision safetensors or a bot-train .ckpt) and says what it took. */
export async function loadInitialWeights(
  model: tf.LayersModel,
  resnetConfig: ResNetConfig,
  config: TrainConfig,
  write: (line: string) => void,
): Promise<InitialWeights> {
  const path = config.initialCheckpoint as string;
  const result = path.endsWith('.safetensors')
    ? await fromSafetensors(model, resnetConfig, path)
    : await fromCheckpoint(model, path);
  const skipped = result.skipped.length > 0 ? `; skipped ${result.skipped.join(', ')}` : '';
  write(
    `initial checkpoint: ${path}: loaded ${result.loaded.length} key(s)${skipped}${result.reason ? ` (${result.reason})` : ''}`,
  );
  return result;
}
