import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { roundLayerOutputs } from '@bot/mixed-precision';
import { createReplicaPool, type StepBatch, type StepResult, TrainingStep } from '@bot/parallel';
import {
  applyReplicaState,
  replicaStateOf,
  type TrainerReplicaOptions,
  type TrainerReplicaState,
  trainingStepOptions,
} from './replica.js';
import type { Session } from './session.js';

/** Runs the training step: in this thread, or data-parallel in worker-thread replicas. */
export interface StepEngine {
  /** 'this thread' or 'N worker threads on <backend>'. */
  readonly description: string;
  readonly replicas: number;
  step(batch: StepBatch): Promise<StepResult>;
  /** Brings the main model, optimizer and loss scaler up to date (a no-op in this thread). */
  sync(): Promise<void>;
  /** Stops the worker threads and puts the model's layers back to float32 outputs. */
  close(): Promise<void>;
}

/** The compiled replica module (worker threads cannot load TypeScript): beside this file, or in dist/. */
function replicaModule(): URL {
  const beside = new URL('./replica.js', import.meta.url);
  return existsSync(fileURLToPath(beside)) ? beside : new URL('../dist/replica.js', import.meta.url);
}

/** Why a backend trains in one process: it already uses the whole device. */
const ONE_PROCESS: Record<string, string> = {
  tensorflow: 'tensorflow already uses every core',
  'tensorflow-gpu': 'tensorflow-gpu already uses the whole GPU',
  webgpu: 'webgpu already uses the whole GPU',
  webgl: 'webgl already uses the whole GPU',
};

/**
 * The run's step engine. Both engines run @bot/parallel's `TrainingStep` with the same options
 * (`trainingStepOptions`); with replicas, each worker builds its own copy of the model, teacher,
 * optimizer and loss scaler, and the main thread keeps the data, mixup, evaluation and checkpoints.
 */
export async function createEngine(session: Session, write: (line: string) => void): Promise<StepEngine> {
  const { config, model, optimizer, lossScaler, backend } = session;
  // FP16 emulation: every layer's output (and the gradient through it) rounded to binary16.
  const restoreLayers = config.fp16 ? roundLayerOutputs(model) : () => undefined;
  const why = ONE_PROCESS[backend.name];
  if (config.replicas > 1 && why) write(`replicas: 1 (${why})`);
  if (config.replicas === 1 || why) {
    const step = new TrainingStep(
      trainingStepOptions({ ...session, teacher: session.teacher?.model ?? null, lossScaler }),
    );
    return {
      description: `1 (this thread, ${backend.name})`,
      replicas: 1,
      step: async (batch) => step.run(batch),
      sync: async () => undefined,
      close: async () => restoreLayers(),
    };
  }
  const options: TrainerReplicaOptions = {
    config,
    numClasses: session.numClasses,
    inputChannels: session.inputChannels,
    stepsPerEpoch: session.stepsPerEpoch,
  };
  const pool = await createReplicaPool({
    module: replicaModule(),
    replicas: config.replicas,
    backend: backend.name,
    options,
  });
  try {
    await pool.setState(await replicaStateOf(model, optimizer, lossScaler));
  } catch (error) {
    await pool.close();
    throw error;
  }
  const description = `${config.replicas} worker threads on ${pool.backend}`;
  write(
    `replicas: ${description}, about ${Math.round(config.batchSize / config.replicas)} images each per step`,
  );
  return {
    description,
    replicas: config.replicas,
    step: (batch) => pool.step(batch),
    sync: async () =>
      applyReplicaState((await pool.getState()) as TrainerReplicaState, model, optimizer, lossScaler),
    close: async () => {
      restoreLayers();
      await pool.close();
    },
  };
}
