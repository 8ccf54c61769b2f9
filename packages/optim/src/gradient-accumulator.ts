import type { NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';
import { add, dispose, div, keep, mul, scalar, tidy } from '@tensorflow/tfjs-core';
import { checkNumber } from './check.js';
import { formatShape, type Gradients, gradientEntries, sameShape } from './named-gradients.js';

export interface GradientAccumulatorOptions {
  /** Micro-batches per update: `ready` turns true after this many `add` calls. Default 1. */
  steps?: number;
}

/**
 * Sums the gradients of k micro-batches so that one update sees their (weighted) mean: with the loss a mean
 * over each micro-batch and weights equal to the micro-batch sizes, the mean equals the gradient of the
 * whole batch, so k x micro-batch trains like the full batch, for any network without batch norm. With batch
 * norm each micro-batch normalises with its own statistics (and updates the moving averages k times), so the
 * result is close to, not equal to, the large batch.
 */
export class GradientAccumulator {
  readonly steps: number;
  private sums = new Map<string, Tensor>();
  private added = 0;
  private weights = 0;

  constructor(options: GradientAccumulatorOptions = {}) {
    const steps = options.steps ?? 1;
    if (!Number.isInteger(steps) || steps < 1) {
      throw new RangeError(`steps must be an integer >= 1, got ${String(steps)}`);
    }
    this.steps = steps;
  }

  /** Micro-batches added since the last reset. */
  get count(): number {
    return this.added;
  }

  /** Sum of the weights added since the last reset. */
  get totalWeight(): number {
    return this.weights;
  }

  /** True once `steps` micro-batches have been added. */
  get ready(): boolean {
    return this.added >= this.steps;
  }

  /**
   * Adds `weight x gradients` (weight: e.g. the micro-batch size, default 1). The gradients are copied into
   * the running sums, not kept or disposed. Every micro-batch must carry the same variables and shapes.
   */
  add(gradients: Gradients, weight = 1): void {
    checkNumber('weight', weight, 0, true);
    const entries = gradientEntries(gradients).filter(
      (entry): entry is [string, Tensor] => entry[1] !== null,
    );
    if (this.added > 0) {
      const names = new Set(entries.map(([name]) => name));
      for (const name of this.sums.keys()) {
        if (!names.has(name)) {
          throw new Error(
            `GradientAccumulator.add: micro-batch ${this.added} has no gradient for variable '${name}'`,
          );
        }
      }
    }
    for (const [name, gradient] of entries) {
      const sum = this.sums.get(name);
      if (this.added > 0 && sum === undefined) {
        throw new Error(
          `GradientAccumulator.add: variable '${name}' (shape ${formatShape(gradient.shape)}) was not in the earlier micro-batches`,
        );
      }
      if (sum !== undefined && !sameShape(sum.shape, gradient.shape)) {
        throw new Error(
          `GradientAccumulator.add: gradient for variable '${name}' has shape ${formatShape(gradient.shape)}, earlier micro-batches had ${formatShape(sum.shape)}`,
        );
      }
    }
    for (const [name, gradient] of entries) {
      const sum = this.sums.get(name);
      const next = keep(
        tidy(() => {
          const weighted = weight === 1 ? add(gradient, scalar(0)) : mul(gradient, scalar(weight));
          return sum === undefined ? weighted : add(sum, weighted);
        }),
      );
      sum?.dispose();
      this.sums.set(name, next);
    }
    this.added++;
    this.weights += weight;
  }

  /** The weighted mean of the gradients added so far, as new tensors the caller owns. */
  mean(): NamedTensorMap {
    if (this.added === 0) throw new Error('GradientAccumulator.mean: no gradients have been added');
    return tidy(() => {
      const total = scalar(this.weights);
      const out: NamedTensorMap = {};
      for (const [name, sum] of this.sums) out[name] = div(sum, total);
      return out;
    });
  }

  /**
   * Applies the mean to `optimizer` (anything with `applyGradients`, e.g. `NesterovSGD`), then resets.
   * Returns `applyGradients`' result (false when `NesterovSGD` skipped a non-finite step), true for `void`.
   */
  applyTo(optimizer: { applyGradients(gradients: NamedTensorMap): unknown }): boolean {
    const mean = this.mean();
    try {
      return optimizer.applyGradients(mean) !== false;
    } finally {
      dispose(mean);
      this.reset();
    }
  }

  /** Drops the sums (start of the next accumulation). */
  reset(): void {
    dispose([...this.sums.values()]);
    this.sums.clear();
    this.added = 0;
    this.weights = 0;
  }

  dispose(): void {
    this.reset();
  }
}
