import type { Optimizer, Scalar, Variable } from '@tensorflow/tfjs-core';

/** A shard of a batch, as a replica's loss function receives it (NHWC images, int labels). */
export interface ReplicaBatch {
  images: Float32Array;
  shape: [number, number, number, number];
  labels: Int32Array;
  /**
   * Optional target rows, K values per image (mixup's soft targets, say), split along N with the images:
   * `targets.length` must be a multiple of N.
   */
  targets?: Float32Array;
}

/**
 * What a replica module's `createReplica(options, info)` returns. Every replica must list the same
 * variables (same names, shapes, order); the pool copies replica 0's initial values to the others.
 */
export interface ReplicaSpec {
  /** Trainable variables, in the same order in every replica. */
  variables: Variable[];
  /** The mean loss over the shard (e.g. forward in training mode + cross-entropy). */
  loss(batch: ReplicaBatch): Scalar;
  /** Applies the averaged gradients; identical in every replica, so the weights stay equal. */
  optimizer: Optimizer;
  /**
   * Optional: everything a checkpoint needs beyond the trainable variables (batch-norm statistics,
   * optimizer state), as a structured-cloneable value; `pool.getState()` reads replica 0's.
   */
  getState?(): unknown;
  /** Optional: restores a `getState()` value; `pool.setState(state)` calls it in every replica. */
  setState?(state: unknown): void | Promise<void>;
}

export type ReplicaFactory = (
  options: unknown,
  info: { replica: number; replicas: number },
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
      microBatch: number;
    }
  | { type: 'share'; buffer: SharedArrayBuffer; total: number; source: boolean }
  | { type: 'step'; batch: ReplicaBatch | null }
  | { type: 'apply'; shares: number[] }
  | { type: 'export' }
  | { type: 'get-state' }
  | { type: 'set-state'; state: unknown }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; layout: VariableLayout[]; backend: string }
  | { type: 'shared' }
  | { type: 'grads'; loss: number; ms: number }
  | { type: 'applied' }
  | { type: 'exported' }
  | { type: 'state'; state: unknown }
  | { type: 'state-set' }
  | { type: 'error'; message: string; stack?: string };
