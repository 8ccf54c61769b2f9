import type { StepBatch } from './split.js';
import type { TrainingStepOptions } from './training-step.js';

/** A replica's shard of a batch, as its loss function receives it: arrays (posted between threads). */
export type ReplicaBatch = StepBatch & { images: Float32Array };

/**
 * What a replica module's `createReplica(options, info)` returns: the options of its `TrainingStep`
 * (variables, loss, optimizer, and optionally micro-batch, loss scaler, FP16 and clipping), plus
 * optional state hooks. Every replica must list the same variables (same names, shapes, order); the pool
 * copies replica 0's initial values to the others.
 */
export interface ReplicaSpec extends TrainingStepOptions {
  /**
   * Optional: everything a checkpoint needs beyond the trainable variables (batch-norm statistics,
   * optimizer and loss-scaler state), as a structured-cloneable value; `pool.getState()` reads replica 0's.
   */
  getState?(): unknown;
  /** Optional: restores a `getState()` value; `pool.setState(state)` calls it in every replica. */
  setState?(state: unknown): void | Promise<void>;
}

export type ReplicaFactory = (
  options: unknown,
  info: { replica: number; replicas: number; backend: string },
) => ReplicaSpec | Promise<ReplicaSpec>;

export interface VariableLayout {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export type ToWorker =
  | {
      type: 'init';
      module: string;
      options: unknown;
      replica: number;
      replicas: number;
      backend: string | undefined;
      microBatch: number | undefined;
    }
  | { type: 'share'; buffer: SharedArrayBuffer; total: number; source: boolean }
  | { type: 'step'; batch: ReplicaBatch | null }
  | { type: 'apply'; shares: number[]; finite: boolean }
  | { type: 'export' }
  | { type: 'get-state' }
  | { type: 'set-state'; state: unknown }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; layout: VariableLayout[]; backend: string; backendReason: string }
  | { type: 'shared' }
  | { type: 'grads'; loss: number; finite: boolean; ms: number }
  | { type: 'applied'; stepped: boolean }
  | { type: 'exported' }
  | { type: 'state'; state: unknown }
  | { type: 'state-set' }
  | { type: 'error'; message: string; stack?: string };
