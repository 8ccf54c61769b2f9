import { join } from 'node:path';
import type { ConfigPatch } from './config.js';
import { ConfigError, TrainerError } from './errors.js';
import { type Accuracy, evaluate } from './evaluate.js';
import { loadForInference } from './inference.js';
import { chooseBackend } from './integrations/backend.js';
import { DataLoader, openData } from './integrations/data.js';
import { resolveConfig } from './resolve.js';

export interface EvalOptions {
  data?: string;
  valLimit?: string | number;
  batchSize?: string | number;
  backend?: string;
  /** For a .safetensors file: the architecture (config fields such as depth, variant, width, stem, inputSize). */
  architecture?: ConfigPatch;
  write?: (line: string) => void;
}

export function positive(name: string, value: string | number | undefined): number | undefined {
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

/** Top-1, top-5, loss and count of a run, checkpoint, export folder or safetensors file on a validation split. */
export async function evaluateCheckpoint(path: string, options: EvalOptions = {}): Promise<Accuracy> {
  const valLimit = positive('valLimit', options.valLimit);
  const batchSize = positive('batchSize', options.batchSize) ?? 64;
  const backend = options.backend ? { backend: options.backend } : {};
  await chooseBackend(resolveConfig(backend).backend);
  const loaded = await loadForInference(path, {
    ...options.architecture,
    ...(options.data ? { data: options.data } : {}),
  });
  try {
    const config = resolveConfig(
      { ...(options.data ? { data: options.data } : {}), ...(valLimit ? { valLimit } : {}), ...backend },
      loaded.config,
    );
    if (config.data === 'none')
      throw new ConfigError(`data = missing: pass --data <root with val/> to evaluate ${path}`);
    const data = await openData(config, join(config.runsDir, '.cache'));
    if (data.classes.length !== loaded.numClasses || data.inputChannels !== loaded.inputChannels) {
      throw new TrainerError(
        `${loaded.description} predicts ${loaded.numClasses} classes from ${loaded.inputChannels} channel(s), but ${data.description} has ${data.classes.length} classes and ${data.inputChannels} channel(s)`,
      );
    }
    const loader = new DataLoader(data.val, {
      batchSize,
      seed: config.seed,
      shuffle: false,
      dropLast: false,
      concurrency: config.workers,
    });
    const accuracy = await evaluate(loaded.model, loader.epoch(0), loaded.numClasses);
    await loader.close();
    return accuracy;
  } finally {
    loaded.model.dispose();
  }
}
