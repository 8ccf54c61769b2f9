export {
  createReplicaPool,
  type ReplicaPool,
  type ReplicaPoolOptions,
  type ReplicaStepResult,
} from './replica-pool.js';
export type { ReplicaBatch, ReplicaFactory, ReplicaSpec, VariableLayout } from './replica-protocol.js';
