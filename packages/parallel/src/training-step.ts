import { type DynamicLossScaler, float16Gradients } from '@bot/mixed-precision';
import { clipByGlobalNorm, GradientAccumulator } from '@bot/optim';
import {
  all,
  cast,
  dispose,
  type NamedTensorMap,
  type Optimizer,
  type Scalar,
  scalar,
  stack,
  type Tensor,
  tidy,
  type Variable,
  variableGrads,
} from '@tensorflow/tfjs-core';
import { microBatches, type StepBatch, sliceBatch } from './split.js';

/** What one training step needs: the same in the main thread and in every replica. */
export interface TrainingStepOptions {
  /** Trainable variables, in the same order in every replica. */
  variables: Variable[];
  /** The mean loss over a (micro-)batch (e.g. forward in training mode + cross-entropy). */
  loss(batch: StepBatch): Scalar;
  /** Applies the final gradients (an optimizer; it is never wrapped or replaced). */
  optimizer: Pick<Optimizer, 'applyGradients'>;
  /**
   * Most images one forward and backward pass takes; a larger batch is split with `microBatches` and its
   * gradients accumulated, weighted by size, into the batch's mean gradient. Default: no limit.
   */
  microBatch?: number;
  /**
   * GradScaler-style dynamic loss scaling: the loss is scaled, the gradients unscaled and checked, an
   * inf/NaN in any micro-batch skips the whole step, and the scale is updated once per step.
   */
  lossScaler?: DynamicLossScaler | null;
  /**
   * FP16 emulation: the forward and backward pass run on binary16-rounded working copies of the variables
   * (the FP32 masters are restored before the update) and the gradients are rounded to binary16. Rounding
   * the activations is the model's business (`roundLayerOutputs` of @bot/mixed-precision).
   */
  float16?: boolean;
  /** Clip the final gradients to this global L2 norm (PyTorch's `clip_grad_norm_`). Default: no clipping. */
  clipGradNorm?: number | null;
}

/** One batch's (or one replica shard's) mean gradient, before any cross-replica averaging. */
export interface BatchGradients {
  /** The mean gradient over the batch, unscaled, keyed by variable name (the caller disposes them). */
  grads: NamedTensorMap;
  /** The batch's mean loss (unscaled). */
  loss: number;
  /** Whether every gradient is finite (always true without a loss scaler). */
  finite: boolean;
}

/** Gradients with their weight in the average: a replica's shard size over the batch size. */
export interface WeightedGradients {
  grads: NamedTensorMap;
  weight: number;
}

export interface StepResult {
  loss: number;
  /** False when the step was skipped (an inf/NaN gradient under loss scaling). */
  stepped: boolean;
}

/**
 * The training step every mode runs: 1. split the batch into micro-batches (`microBatches`), 2. forward,
 * loss and gradients of each (FP16-rounded and loss-scaled when asked), 3. accumulate them in a
 * `GradientAccumulator` weighted by size, 4. unscale and check (GradScaler-style, on the loss scaler),
 * then, in `apply`, average the replicas' gradients, update the scale, 5. clip and 6. apply with the
 * optimizer. A single thread calls `run`; a replica calls `gradients` on its shard and `apply` on every
 * shard's gradients, so both take the same step with the same code.
 */
export class TrainingStep {
  readonly variables: Variable[];
  readonly lossScaler: DynamicLossScaler | null;
  private readonly options: TrainingStepOptions;

  constructor(options: TrainingStepOptions) {
    const microBatch = options.microBatch ?? Number.POSITIVE_INFINITY;
    if (!(microBatch >= 1) || (Number.isFinite(microBatch) && !Number.isInteger(microBatch))) {
      throw new RangeError(`microBatch must be an integer >= 1, got ${options.microBatch}`);
    }
    const clip = options.clipGradNorm;
    if (clip !== undefined && clip !== null && !(clip > 0)) {
      throw new RangeError(`clipGradNorm must be a number > 0 (or null for none), got ${clip}`);
    }
    this.options = { ...options, microBatch };
    this.variables = options.variables;
    this.lossScaler = options.lossScaler ?? null;
  }

  /**
   * Steps 1 to 4: the batch's mean gradient, unscaled and checked, accumulated over its micro-batches. The
   * loss and the finiteness check stay on the device until one asynchronous read at the end, so a GPU runs
   * the micro-batches back to back (and WebGPU in Node, which cannot read synchronously, works).
   */
  async gradients(batch: StepBatch): Promise<BatchGradients> {
    const n = batch.shape[0];
    const parts = microBatches(n, this.options.microBatch as number);
    const accumulator = new GradientAccumulator({ steps: parts.length });
    const values: Tensor[] = [];
    const flags: Tensor[] = [];
    try {
      for (const part of parts) {
        const slice = sliceBatch(batch, part);
        // A tensor batch's micro-batch is a new tensor (an array's is a view).
        const owned =
          slice.images instanceof Float32Array || slice.images === batch.images ? null : slice.images;
        let micro: { grads: NamedTensorMap; value: Scalar; finite: Tensor | null };
        try {
          micro = this.microGradients(slice);
        } finally {
          owned?.dispose();
        }
        accumulator.add(micro.grads, (part.to - part.from) / n);
        dispose(Object.values(micro.grads));
        values.push(micro.value);
        if (micro.finite) flags.push(micro.finite);
      }
      const summary = tidy(() =>
        stack([...values, flags.length === 0 ? scalar(1) : cast(all(stack(flags)), 'float32')]),
      );
      const read = (await summary.data()) as Float32Array;
      summary.dispose();
      // The scale changes only in `apply`, so every micro-batch was scaled alike.
      const scale = this.lossScaler?.scale ?? 1;
      let loss = 0;
      parts.forEach((part, i) => {
        loss += ((part.to - part.from) / n) * ((read[i] as number) / scale);
      });
      return { grads: accumulator.mean(), loss, finite: read[parts.length] === 1 };
    } finally {
      dispose([...values, ...flags]);
      accumulator.dispose();
    }
  }

  /**
   * Forward, loss and gradients of one micro-batch: the (scaled) loss, and with a loss scaler the gradients
   * unscaled with their finiteness flag (tensors, not read back).
   */
  private microGradients(batch: StepBatch): { grads: NamedTensorMap; value: Scalar; finite: Tensor | null } {
    const scaler = this.lossScaler;
    const lossFn = () => this.options.loss(batch);
    const { value, grads } = this.options.float16
      ? float16Gradients(this.variables, lossFn, scaler ?? undefined)
      : variableGrads(() => (scaler ? scaler.scaleLoss(lossFn()) : lossFn()), this.variables);
    if (!scaler) return { grads, value, finite: null };
    const unscaled = scaler.unscale(grads);
    dispose(Object.values(grads));
    return { grads: unscaled.grads, value, finite: unscaled.finite };
  }

  /**
   * Steps 4 to 6: the weighted mean of the shards' gradients (one shard of weight 1 in a single thread),
   * the loss scale's update, clipping and the optimizer's update, skipped when `finite` is false. Does not
   * dispose the inputs. Returns whether the update ran.
   */
  apply(shards: readonly WeightedGradients[], finite: boolean): boolean {
    this.lossScaler?.update(finite);
    if (!finite) return false;
    const accumulator = new GradientAccumulator({ steps: shards.length });
    let mean: NamedTensorMap;
    try {
      for (const shard of shards) if (shard.weight > 0) accumulator.add(shard.grads, shard.weight);
      mean = accumulator.mean();
    } finally {
      accumulator.dispose();
    }
    const maxNorm = this.options.clipGradNorm;
    let update = mean;
    if (maxNorm !== undefined && maxNorm !== null) {
      const clipped = clipByGlobalNorm(mean, maxNorm);
      clipped.norm.dispose();
      dispose(Object.values(mean));
      update = clipped.grads;
    }
    try {
      this.options.optimizer.applyGradients(update);
    } finally {
      dispose(Object.values(update));
    }
    return true;
  }

  /** The whole step in this thread: `gradients` on the batch, then `apply`. */
  async run(batch: StepBatch): Promise<StepResult> {
    const { grads, loss, finite } = await this.gradients(batch);
    try {
      return { loss, stepped: this.apply([{ grads, weight: 1 }], finite) };
    } finally {
      dispose(Object.values(grads));
    }
  }
}
