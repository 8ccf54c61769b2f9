import { readFile } from 'node:fs/promises';
import type { RngState } from '@bot/rng';
import type * as tf from '@tensorflow/tfjs-core';
import { type FileWriter, writeFileAtomic } from './atomic-write.js';
import type { TrainConfig } from './config.js';
import { TrainerError } from './errors.js';
import { readBytes } from './file-bytes.js';
import { decodeTensorFile, encodeTensorFile, type StoredTensor } from './tensor-file.js';

export const CHECKPOINT_FORMAT = 'bot-train-checkpoint/1';

/** Everything besides the model weights that a resumed run needs to continue bit for bit. */
export interface TrainingState {
  readonly config: TrainConfig;
  readonly numClasses: number;
  readonly inputChannels: number;
  /** The epoch to continue in and the next batch in it (0 at an epoch boundary). */
  readonly epoch: number;
  readonly batchInEpoch: number;
  /** Optimizer steps done. */
  readonly step: number;
  readonly optimizer: unknown;
  readonly lossScaler: unknown;
  readonly rng: RngState;
  readonly elapsedSeconds: number;
  /** The running totals of the epoch in progress, so that its record after a resume is complete. */
  readonly epochTotals: EpochTotals;
}

export interface EpochTotals {
  readonly lossSum: number;
  readonly batches: number;
  readonly images: number;
  readonly seconds: number;
}

/** The fields that fix the shapes of the weights: a checkpoint only loads into the same architecture. */
export function architectureOf(config: TrainConfig, numClasses: number, inputChannels: number): string {
  return `ResNet-${config.depth}-${config.variant} width ${config.width} stem ${config.stem}, ${inputChannels} input channel(s), ${numClasses} classes`;
}

/** A weight's name in a checkpoint: stable across processes, unlike tfjs's uniquified variable names. */
function weightKey(index: number, variable: tf.Variable | { name: string }): string {
  return `model/${String(index).padStart(4, '0')}/${variable.name.replace(/_\d+$/, '')}`;
}

type Encoded = unknown;

/**
 * Replaces typed arrays in an optimizer/scaler state by references to stored tensors, and tfjs variable
 * names (which get `_1` suffixes when a second model is built in one process) by `@<weight index>`.
 */
function encodeState(value: unknown, names: Map<string, string>, out: StoredTensor[], path: string): Encoded {
  if (value instanceof Float32Array || value instanceof Int32Array) {
    const name = `state/${out.length}`;
    out.push({ name, shape: [value.length], data: value });
    return { $tensor: name };
  }
  if (typeof value === 'string') return names.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v, i) => encodeState(v, names, out, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    if (ArrayBuffer.isView(value)) throw new Error(`${path}: unsupported typed array in optimizer state`);
    const result: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      result[names.get(k) ?? k] = encodeState(v, names, out, `${path}.${k}`);
    return result;
  }
  return value;
}

function decodeState(
  value: unknown,
  names: Map<string, string>,
  tensors: Map<string, StoredTensor>,
): unknown {
  if (typeof value === 'string') return names.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => decodeState(v, names, tensors));
  if (value && typeof value === 'object') {
    const ref = (value as { $tensor?: string }).$tensor;
    if (typeof ref === 'string' && Object.keys(value).length === 1) {
      const t = tensors.get(ref);
      if (!t) throw new Error(`checkpoint is missing tensor ${ref}`);
      return t.data;
    }
    const result: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) result[names.get(k) ?? k] = decodeState(v, names, tensors);
    return result;
  }
  return value;
}

export interface CheckpointContents {
  readonly state: TrainingState;
  readonly weights: StoredTensor[];
}

/**
 * Serialises model weights (all of them, BN running statistics included) and the training state. The
 * weights are read asynchronously (GPU backends; WebGPU in Node cannot read synchronously).
 */
export async function encodeCheckpoint(
  weights: readonly tf.Variable[] | readonly { name: string; read(): tf.Tensor }[],
  state: Omit<TrainingState, 'optimizer' | 'lossScaler'> & { optimizer: unknown; lossScaler: unknown },
): Promise<Uint8Array> {
  const tensors: StoredTensor[] = [];
  const names = new Map<string, string>();
  const values = await Promise.all(weights.map((w) => ('read' in w ? w.read() : w).data()));
  weights.forEach((w, i) => {
    names.set(w.name, `@${i}`);
    const value = 'read' in w ? w.read() : w;
    tensors.push({ name: weightKey(i, w), shape: value.shape, data: values[i] as Float32Array });
  });
  const encoded = {
    ...state,
    optimizer: encodeState(state.optimizer, names, tensors, 'optimizer'),
    lossScaler: encodeState(state.lossScaler, names, tensors, 'lossScaler'),
  };
  return encodeTensorFile(tensors, { format: CHECKPOINT_FORMAT, state: JSON.stringify(encoded) });
}

export async function saveCheckpoint(path: string, bytes: Uint8Array, writer?: FileWriter): Promise<void> {
  await writeFileAtomic(path, bytes, writer);
}

/**
 * Where a checkpoint stands (the epoch to continue in, the batch in it), read from its header alone: a
 * few kilobytes, whatever the model's size. Null when the file is missing or not a bot-train checkpoint.
 */
export function checkpointPosition(path: string): { epoch: number; batchInEpoch: number } | null {
  const size = readBytes(path, 0, 8);
  if (size?.length !== 8) return null;
  const length = Number(size.readBigUInt64LE(0));
  const header = readBytes(path, 8, length);
  if (header?.length !== length) return null;
  try {
    const metadata = (JSON.parse(header.toString('utf8')) as { __metadata__?: Record<string, string> })
      .__metadata__;
    if (metadata?.['format'] !== CHECKPOINT_FORMAT || typeof metadata['state'] !== 'string') return null;
    const { epoch, batchInEpoch } = JSON.parse(metadata['state']) as TrainingState;
    return { epoch, batchInEpoch };
  } catch {
    return null; // not JSON: not a checkpoint, or replaced between the two reads
  }
}

export async function readCheckpoint(
  path: string,
): Promise<{ state: TrainingState; weights: StoredTensor[]; raw: ReturnType<typeof decodeTensorFile> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new TrainerError(`cannot read checkpoint ${path}: ${(error as Error).message}`);
  }
  let file: ReturnType<typeof decodeTensorFile>;
  try {
    file = decodeTensorFile(bytes);
  } catch (error) {
    throw new TrainerError(`checkpoint ${path} is damaged: ${(error as Error).message}`);
  }
  if (file.metadata['format'] !== CHECKPOINT_FORMAT || typeof file.metadata['state'] !== 'string') {
    throw new TrainerError(
      `${path} is not a bot-train checkpoint (format ${JSON.stringify(file.metadata['format'])})`,
    );
  }
  const state = JSON.parse(file.metadata['state']) as TrainingState;
  const weights = [...file.tensors.values()]
    .filter((t) => t.name.startsWith('model/'))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return { state, weights, raw: file };
}

/** Turns the stored optimizer / scaler state back into what `setState` expects, with this process's variable names. */
export function restoreState(
  stored: unknown,
  variableNames: readonly string[],
  tensors: Map<string, StoredTensor>,
): unknown {
  const names = new Map<string, string>(variableNames.map((n, i) => [`@${i}`, n]));
  return decodeState(stored, names, tensors);
}

/**
 * Checks that stored weights fit a model, naming the first difference, then assigns them.
 * `what` says where the weights came from, for the message.
 */
export function assignWeights(
  model: { weights: { name: string; shape: readonly (number | null)[]; write(value: tf.Tensor): void }[] },
  weights: readonly StoredTensor[],
  what: string,
  makeTensor: (data: Float32Array, shape: number[]) => tf.Tensor,
): void {
  if (weights.length !== model.weights.length) {
    throw new TrainerError(
      `${what} holds ${weights.length} weight tensors but this model has ${model.weights.length}: it is from another architecture`,
    );
  }
  model.weights.forEach((w, i) => {
    const stored = weights[i]!;
    if (stored.shape.join('x') !== w.shape.join('x')) {
      throw new TrainerError(
        `${what}: weight ${i} (${stored.name}) has shape [${stored.shape}] but the model's ${w.name} has [${w.shape}]: it is from another architecture`,
      );
    }
  });
  model.weights.forEach((w, i) => {
    const stored = weights[i]!;
    const t = makeTensor(stored.data as Float32Array, [...stored.shape]);
    w.write(t);
    t.dispose();
  });
}
