import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamicLossScaler } from '@bot/mixed-precision';
import { Rng } from '@bot/rng';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from './atomic-write.js';
import {
  architectureOf,
  assignWeights,
  type EpochTotals,
  readCheckpoint,
  restoreState,
} from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { TrainerError } from './errors.js';
import { loadInitialWeights } from './initial-checkpoint.js';
import { type BackendChoice, chooseBackend } from './integrations/backend.js';
import { DataLoader, type OpenedData, openData } from './integrations/data.js';
import { DEVICE_BACKENDS, trainingSetInWorkers } from './integrations/data-workers.js';
import { profile, type ResNetConfig, resnet, resnetConfigOf } from './integrations/model.js';
import { buildSchedule, type Schedule } from './integrations/schedule.js';
import { buildLossScaler } from './replica.js';
import { RunFolder } from './run-folder.js';
import { buildOptimizer } from './step-parts.js';
import { type LoadedModel, loadTeacher } from './teacher.js';

/** Where a run starts (or resumes): epoch, batch in it, optimizer steps done, and the epoch's totals so far. */
export interface Position {
  epoch: number;
  batch: number;
  step: number;
  elapsedBefore: number;
  totals: EpochTotals | null;
}

/** Everything a run trains with, built (or restored) before the first step. */
export interface Session {
  readonly config: TrainConfig;
  readonly run: RunFolder;
  readonly backend: BackendChoice;
  readonly data: OpenedData;
  readonly numClasses: number;
  readonly inputChannels: number;
  readonly trainLoader: DataLoader;
  readonly valLoader: DataLoader;
  readonly stepsPerEpoch: number;
  readonly model: tf.LayersModel;
  readonly resnetConfig: ResNetConfig;
  readonly params: number;
  readonly macs: number;
  readonly teacher: LoadedModel | null;
  readonly schedule: Schedule;
  readonly optimizer: ReturnType<typeof buildOptimizer>;
  readonly lossScaler: DynamicLossScaler | null;
  /** Stops the data worker threads, if any. */
  readonly closeData: () => Promise<void>;
  /** The only sequential random stream of the trainer (mixup's and cutmix's draws). */
  rng: Rng;
  readonly start: Position;
}

function defaultRunName(config: TrainConfig): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
  return `${config.preset.replace(/^\+/, 'plus-').replace(/\+/g, '-')}-${stamp}`;
}

/**
 * A new run's folder. A --run-name that holds a run is refused; the default name (preset and time) takes
 * the next free suffix, created atomically, so runs started in the same second get folders of their own.
 */
async function createRunFolder(config: TrainConfig): Promise<RunFolder> {
  let run: RunFolder;
  if (config.runName !== null) {
    run = new RunFolder(join(config.runsDir, config.runName));
    if (existsSync(run.config)) {
      throw new TrainerError(
        `run folder ${run.root} already holds a run: pick another --run-name, or --resume ${run.root}`,
      );
    }
    run.create();
  } else {
    const base = join(config.runsDir, defaultRunName(config));
    let n = 1;
    for (run = new RunFolder(base); !run.create(true); run = new RunFolder(`${base}-${n}`)) n += 1;
  }
  await writeFileAtomic(run.config, `${JSON.stringify(config, null, 2)}\n`);
  return run;
}

function loaders(config: TrainConfig, data: OpenedData): { train: DataLoader; val: DataLoader } {
  // Decoding and augmenting run `workers` at a time (sharp's and libuv's threads for JPEG, worker threads
  // for @bot/data's workerDataset), up to `prefetch` batches ahead of the step being trained, so the next
  // batches are ready when a step ends.
  const common = { seed: config.seed, concurrency: config.workers, prefetch: 3 };
  return {
    train: new DataLoader(data.train, {
      ...common,
      batchSize: config.batchSize,
      shuffle: true,
      dropLast: true,
    }),
    val: new DataLoader(data.val, {
      ...common,
      batchSize: Math.max(config.batchSize / config.accumulate, 64),
      shuffle: false,
      dropLast: false,
    }),
  };
}

/** Restores model, optimizer, scaler and position from the run's last checkpoint. */
async function restore(session: Omit<Session, 'start'>, resumed: Awaited<ReturnType<typeof readCheckpoint>>) {
  const { run, model, optimizer, lossScaler } = session;
  const { state, weights, raw } = resumed;
  assignWeights(model, weights, `checkpoint ${run.checkpoint}`, (d, s) => tf.tensor(d, s));
  const names = model.weights.map((w) => w.name);
  optimizer.setState(
    restoreState(state.optimizer, names, raw.tensors) as Parameters<typeof optimizer.setState>[0],
  );
  if (lossScaler && state.lossScaler) {
    lossScaler.setState(
      restoreState(state.lossScaler, names, raw.tensors) as Parameters<typeof lossScaler.setState>[0],
    );
  }
  session.rng = Rng.fromState(state.rng);
  // Drop metrics logged after the checkpoint (a kill between checkpoints) so the history has no duplicates.
  const kept = run
    .readMetrics()
    .filter((r) => (r.type === 'step' ? r.step <= state.step : r.epoch <= state.epoch));
  await writeFileAtomic(run.metrics, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  return {
    epoch: state.epoch,
    batch: state.batchInEpoch,
    step: state.step,
    elapsedBefore: state.elapsedSeconds,
    totals: state.epochTotals,
  };
}

async function openResumed(path: string) {
  const run = new RunFolder(path);
  if (!existsSync(run.checkpoint))
    throw new TrainerError(`--resume ${path}: no checkpoint at ${run.checkpoint}`);
  return { run, resumed: await readCheckpoint(run.checkpoint) };
}

/**
 * Opens a run: the backend, the data (checked before any run folder is created), the folder, the model
 * (from --initial-checkpoint or a resumed checkpoint), the teacher, schedule, optimizer and loss scaler.
 */
export async function openSession(
  config: TrainConfig,
  resume: string | undefined,
  write: (line: string) => void,
): Promise<Session> {
  const resumed = resume ? await openResumed(resume) : null;
  const backend = await chooseBackend(config.backend);
  write(`backend: ${backend.name} (${backend.reason})`);
  const cacheDir = join(config.runsDir, '.cache');
  const opened = await openData(config, cacheDir);
  // On a GPU the step keeps this thread busy: decode and augment in worker threads, ahead of the step.
  const inWorkers = DEVICE_BACKENDS.has(backend.name) ? await trainingSetInWorkers(config, cacheDir) : null;
  const data = inWorkers ? { ...opened, train: inWorkers } : opened;
  const what = opened.trainOnDevice ? 'decode (augmenting is on the device)' : 'decode and augment';
  if (inWorkers) write(`data workers: ${config.workers} threads ${what} the training images`);
  const closeData = async () => {
    await inWorkers?.close();
  };
  try {
    const base = await assemble(config, resumed, backend, data, closeData, write);
    const start: Position = resumed
      ? await restore(base, resumed.resumed)
      : { epoch: 0, batch: 0, step: 0, elapsedBefore: 0, totals: null };
    if (resumed)
      write(
        `resuming ${base.run.root} at epoch ${start.epoch + 1}, batch ${start.batch} (step ${start.step})`,
      );
    return { ...base, start };
  } catch (error) {
    // The data worker threads would keep the process alive after the error.
    await closeData();
    throw error;
  }
}

/** The run's model, loaders, optimizer and folder, once its backend and data are open. */
async function assemble(
  config: TrainConfig,
  resumed: Awaited<ReturnType<typeof openResumed>> | null,
  backend: BackendChoice,
  data: OpenedData,
  closeData: () => Promise<void>,
  write: (line: string) => void,
) {
  const numClasses = data.classes.length;
  const { inputChannels } = data;
  write(
    `data: ${data.description}: ${data.train.length} training and ${data.val.length} validation images, ${numClasses} classes`,
  );
  write(`augmentation: ${data.augmentation}`);
  const want = architectureOf(config, numClasses, inputChannels);
  if (resumed) {
    const saved = resumed.resumed.state;
    const have = architectureOf(saved.config, saved.numClasses, saved.inputChannels);
    if (have !== want) {
      throw new TrainerError(
        `checkpoint ${resumed.run.checkpoint} is from another architecture: it holds ${have}, but this run builds ${want}`,
      );
    }
  }
  if (data.train.length < config.batchSize) {
    throw new TrainerError(
      `the training set has ${data.train.length} images, fewer than one batch of ${config.batchSize}: lower --batch-size`,
    );
  }
  const { train: trainLoader, val: valLoader } = loaders(config, data);
  const stepsPerEpoch = trainLoader.batchesPerEpoch;
  const resnetConfig = resnetConfigOf(config, numClasses, inputChannels);
  const model = resnet(resnetConfig);
  const params = model.countParams();
  write(`model: ${want}: ${params.toLocaleString('en-US')} parameters`);
  const initial =
    config.initialCheckpoint && !resumed
      ? await loadInitialWeights(model, resnetConfig, config, write)
      : null;
  const teacher = config.teacher
    ? await loadTeacher(config, config.teacher, numClasses, inputChannels)
    : null;
  if (teacher) write(`teacher: ${teacher.description}`);
  // Only now, with the data, the model and its weights known to be good, does the run get a folder.
  const run = resumed?.run ?? (await createRunFolder(config));
  if (initial) await writeFileAtomic(run.initialWeights, `${JSON.stringify(initial, null, 2)}\n`);
  const schedule = buildSchedule(config, stepsPerEpoch);
  const base = {
    config,
    run,
    backend,
    data,
    numClasses,
    inputChannels,
    trainLoader,
    valLoader,
    stepsPerEpoch,
    model,
    resnetConfig,
    params,
    macs: profile(resnetConfig).macs,
    teacher,
    schedule,
    optimizer: buildOptimizer(config, schedule),
    lossScaler: buildLossScaler(config),
    rng: Rng.from(`${config.seed}:mixup`),
    closeData,
  };
  return base;
}
