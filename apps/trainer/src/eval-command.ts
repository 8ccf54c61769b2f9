import { statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { architectureOf, assignWeights, readCheckpoint } from './checkpoint.js';
import { ConfigError, TrainerError } from './errors.js';
import { type Accuracy, evaluate } from './evaluate.js';
import { chooseBackend } from './integrations/backend.js';
import { DataLoader, openData } from './integrations/data.js';
import { resnet, resnetConfigOf } from './integrations/model.js';
import { resolveConfig } from './resolve.js';

export interface EvalOptions {
  data?: string;
  valLimit?: string | number;
  batchSize?: string | number;
  backend?: string;
  write?: (line: string) => void;
}

function positive(name: string, value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ConfigError(`${name} = ${JSON.stringify(value)}: must be an integer >= 1`);
  return n;
}

/** `bot-train eval`: top-1/top-5 of a checkpoint on the validation split of its data set (or another). */
export async function evalCheckpoint(path: string, options: EvalOptions = {}): Promise<number> {
  const write = options.write ?? ((line: string) => console.log(line));
  const result = await evaluateCheckpoint(path, options);
  write(
    `top-1 ${(100 * result.top1).toFixed(2)}%  top-5 ${(100 * result.top5).toFixed(2)}%  loss ${result.loss.toFixed(4)}  (${result.count} images)`,
  );
  return 0;
}

export async function evaluateCheckpoint(path: string, options: EvalOptions = {}): Promise<Accuracy> {
  let file = path;
  try {
    if (statSync(path).isDirectory()) file = join(path, 'checkpoints', 'last.ckpt');
  } catch {
    throw new TrainerError(`checkpoint ${path} does not exist`);
  }
  const { state, weights } = await readCheckpoint(file);
  const valLimit = positive('valLimit', options.valLimit);
  const batchSize = positive('batchSize', options.batchSize) ?? 64;
  const config = resolveConfig(
    {
      ...(options.data ? { data: options.data } : {}),
      ...(valLimit ? { valLimit } : {}),
      ...(options.backend ? { backend: options.backend as never } : {}),
    },
    state.config,
  );
  await chooseBackend(config.backend);
  const data = await openData(config, join(config.runsDir, '.cache'));
  if (data.classes.length !== state.numClasses || data.inputChannels !== state.inputChannels) {
    throw new TrainerError(
      `checkpoint ${file} is a ${architectureOf(state.config, state.numClasses, state.inputChannels)} model but ${data.description} has ${data.classes.length} classes and ${data.inputChannels} channel(s)`,
    );
  }
  const model = resnet(resnetConfigOf(state.config, state.numClasses, state.inputChannels));
  try {
    assignWeights(model, weights, `checkpoint ${file}`, (d, s) => tf.tensor(d, s));
    const loader = new DataLoader(data.val, {
      batchSize,
      seed: config.seed,
      shuffle: false,
      dropLast: false,
      concurrency: config.workers,
    });
    const accuracy = await evaluate(model, loader.epoch(0), state.numClasses);
    await loader.close();
    return accuracy;
  } finally {
    model.dispose();
  }
}
