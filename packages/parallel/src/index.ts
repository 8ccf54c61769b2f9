export type {
  ReplicaBatch,
  ReplicaFactory,
  ReplicaSpec,
  VariableLayout,
} from './protocol.js';
export {
  createReplicaPool,
  type ReplicaPool,
  type ReplicaPoolOptions,
  type ReplicaStepResult,
} from './replica-pool.js';
export {
  type BatchRange,
  batchImages,
  checkBatch,
  microBatches,
  type StepBatch,
  sliceBatch,
  splitEvenly,
} from './split.js';
export {
  type BatchGradients,
  type StepResult,
  TrainingStep,
  type TrainingStepOptions,
  type WeightedGradients,
} from './training-step.js';
