import type { ReplicaBatch, ReplicaSpec } from '@bot/backend/replicas';
import type { NesterovSGDState } from '@bot/optim';
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from './config.js';
import { resnet, resnetConfigOf } from './integrations/model.js';
import { buildSchedule } from './integrations/schedule.js';
import { loadTeacher } from './teacher.js';
import { buildOptimizer, trainingLoss } from './training-step-parts.js';

/** What the trainer passes to every replica worker. */
export interface TrainerReplicaOptions {
  readonly config: TrainConfig;
  readonly numClasses: number;
  readonly inputChannels: number;
  readonly stepsPerEpoch: number;
}

/**
 * A replica's full state: every model weight (BN statistics included) in model order with its name, and
 * the optimizer's. Names are only matched by position: a process that built a model before gets suffixed
 * names ('conv1.0/kernel_1') where a fresh worker does not.
 */
export interface TrainerReplicaState {
  readonly names: string[];
  readonly weights: Float32Array[];
  readonly optimizer: NesterovSGDState;
}

/** Writes a state into a model and its optimizer, renaming the optimizer's buffers by weight position. */
export function applyReplicaState(
  state: TrainerReplicaState,
  model: { weights: { name: string; shape: readonly (number | null)[]; write(value: tf.Tensor): void }[] },
  optimizer: { setState(state: NesterovSGDState, options?: { mapName?: (name: string) => string }): void },
): void {
  const rename = new Map(state.names.map((name, i) => [name, model.weights[i]?.name ?? name]));
  model.weights.forEach((w, i) => {
    tf.tidy(() => {
      w.write(tf.tensor(state.weights[i] as Float32Array, w.shape as number[], 'float32'));
    });
  });
  optimizer.setState(state.optimizer, { mapName: (name) => rename.get(name) ?? name });
}

/** A model's and its optimizer's state, for a replica or from the main thread. */
export async function replicaStateOf(
  model: { weights: { name: string; read(): tf.Tensor }[] },
  optimizer: { getState(): Promise<NesterovSGDState> },
): Promise<TrainerReplicaState> {
  return {
    names: model.weights.map((w) => w.name),
    weights: model.weights.map((w) => (w.read().dataSync() as Float32Array).slice()),
    optimizer: await optimizer.getState(),
  };
}

/**
 * One data-parallel replica of a run (a worker thread of @bot/backend's replica pool): the same model,
 * teacher, loss and optimizer as the single-process trainer, fed the main thread's (mixed) batch shards.
 */
export async function createReplica(options: TrainerReplicaOptions): Promise<ReplicaSpec> {
  const { config, numClasses, inputChannels, stepsPerEpoch } = options;
  const model = resnet(resnetConfigOf(config, numClasses, inputChannels));
  const teacher = config.teacher
    ? await loadTeacher(config, config.teacher, numClasses, inputChannels)
    : null;
  const optimizer = buildOptimizer(config, buildSchedule(config, stepsPerEpoch));
  return {
    variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
    optimizer,
    loss(batch: ReplicaBatch): tf.Scalar {
      return tf.tidy(() => {
        const n = batch.shape[0];
        const x = tf.tensor4d(batch.images, batch.shape);
        const targets = batch.targets
          ? tf.tensor2d(batch.targets, [n, numClasses])
          : tf.tensor1d(batch.labels, 'int32');
        const teacherLogits = teacher ? (teacher.model.predict(x) as tf.Tensor2D) : null;
        const logits = model.apply(x, { training: true }) as tf.Tensor2D;
        return trainingLoss(config, logits, targets, teacherLogits);
      });
    },
    getState: () => replicaStateOf(model, optimizer),
    setState: (state: unknown) => applyReplicaState(state as TrainerReplicaState, model, optimizer),
  };
}
