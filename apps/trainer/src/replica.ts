import { DynamicLossScaler, type LossScalerState, roundLayerOutputs } from '@bot/mixed-precision';
import type { NesterovSGDState } from '@bot/optim';
import {
  batchImages,
  type ReplicaFactory,
  type ReplicaSpec,
  type StepBatch,
  type TrainingStepOptions,
} from '@bot/parallel';
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from './config.js';
import { resnet, resnetConfigOf } from './integrations/model.js';
import { buildSchedule } from './integrations/schedule.js';
import { buildOptimizer, trainingLoss } from './step-parts.js';
import { loadTeacher } from './teacher.js';

/** What the trainer passes to every replica worker. */
export interface TrainerReplicaOptions {
  readonly config: TrainConfig;
  readonly numClasses: number;
  readonly inputChannels: number;
  readonly stepsPerEpoch: number;
}

/** The parts of a run one training step uses: the same in the main thread and in every replica. */
export interface StepParts {
  readonly config: TrainConfig;
  readonly numClasses: number;
  readonly model: tf.LayersModel;
  readonly teacher: tf.LayersModel | null;
  readonly optimizer: ReturnType<typeof buildOptimizer>;
  readonly lossScaler: DynamicLossScaler | null;
}

/**
 * A replica's full state: every model weight (BN statistics included) in model order with its name, the
 * optimizer's and the loss scaler's. Names are only matched by position: a process that built a model
 * before gets suffixed names ('conv1.0/kernel_1') where a fresh worker does not.
 */
export interface TrainerReplicaState {
  readonly names: string[];
  readonly weights: Float32Array[];
  readonly optimizer: NesterovSGDState;
  readonly lossScaler: LossScalerState | null;
}

/** The run's loss scaler: GradScaler's dynamic scaling with FP16, none in FP32. */
export function buildLossScaler(config: TrainConfig): DynamicLossScaler | null {
  return config.fp16 ? new DynamicLossScaler({ initScale: config.initLossScale }) : null;
}

/** The options of the run's `TrainingStep`: the model's loss on a (micro-)batch, FP16, clipping, accumulation. */
export function trainingStepOptions(parts: StepParts): TrainingStepOptions {
  const { config, numClasses, model, teacher } = parts;
  return {
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    optimizer: parts.optimizer,
    lossScaler: parts.lossScaler,
    float16: config.fp16,
    clipGradNorm: config.clipGrad,
    microBatch: config.batchSize / config.accumulate,
    loss(batch: StepBatch): tf.Scalar {
      return tf.tidy(() => {
        const n = batch.shape[0];
        const x = batchImages(batch);
        const targets = batch.targets
          ? tf.tensor2d(batch.targets, [n, numClasses])
          : tf.tensor1d(batch.labels, 'int32');
        const teacherLogits = teacher ? (teacher.predict(x) as tf.Tensor2D) : null;
        const logits = model.apply(x, { training: true }) as tf.Tensor2D;
        return trainingLoss(config, logits, targets, teacherLogits);
      });
    },
  };
}

/** Writes a state into a model, its optimizer and loss scaler, renaming the optimizer's buffers by weight position. */
export function applyReplicaState(
  state: TrainerReplicaState,
  model: { weights: { name: string; shape: readonly (number | null)[]; write(value: tf.Tensor): void }[] },
  optimizer: { setState(state: NesterovSGDState, options?: { mapName?: (name: string) => string }): void },
  lossScaler: DynamicLossScaler | null,
): void {
  const rename = new Map(state.names.map((name, i) => [name, model.weights[i]?.name ?? name]));
  model.weights.forEach((w, i) => {
    tf.tidy(() => {
      w.write(tf.tensor(state.weights[i] as Float32Array, w.shape as number[], 'float32'));
    });
  });
  optimizer.setState(state.optimizer, { mapName: (name) => rename.get(name) ?? name });
  if (lossScaler && state.lossScaler) lossScaler.setState(state.lossScaler);
}

/** A model's, its optimizer's and its loss scaler's state, for a replica or from the main thread. */
export async function replicaStateOf(
  model: { weights: { name: string; read(): tf.Tensor }[] },
  optimizer: { getState(): Promise<NesterovSGDState> },
  lossScaler: DynamicLossScaler | null,
): Promise<TrainerReplicaState> {
  return {
    names: model.weights.map((w) => w.name),
    weights: model.weights.map((w) => (w.read().dataSync() as Float32Array).slice()),
    optimizer: await optimizer.getState(),
    lossScaler: lossScaler?.getState() ?? null,
  };
}

/**
 * One data-parallel replica of a run (a worker thread of @bot/parallel's replica pool): the same model,
 * teacher, loss, optimizer, loss scaler and training step as the main thread, fed its (mixed) batch shards.
 */
export const createReplica: ReplicaFactory = async (raw) => {
  const { config, numClasses, inputChannels, stepsPerEpoch } = raw as TrainerReplicaOptions;
  const model = resnet(resnetConfigOf(config, numClasses, inputChannels));
  if (config.fp16) roundLayerOutputs(model);
  const teacher = config.teacher
    ? await loadTeacher(config, config.teacher, numClasses, inputChannels)
    : null;
  const optimizer = buildOptimizer(config, buildSchedule(config, stepsPerEpoch));
  const lossScaler = buildLossScaler(config);
  const parts = { config, numClasses, model, teacher: teacher?.model ?? null, optimizer, lossScaler };
  const spec: ReplicaSpec = {
    ...trainingStepOptions(parts),
    getState: () => replicaStateOf(model, optimizer, lossScaler),
    setState: (state: unknown) =>
      applyReplicaState(state as TrainerReplicaState, model, optimizer, lossScaler),
  };
  return spec;
};
