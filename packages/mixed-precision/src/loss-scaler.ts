import {
  all,
  dispose,
  isFinite as isFiniteTensor,
  logicalAnd,
  mul,
  type NamedTensorMap,
  type Optimizer,
  type Scalar,
  scalar,
  type Tensor,
  tidy,
  type Variable,
  variableGrads,
} from '@tensorflow/tfjs-core';

export interface LossScalerOptions {
  /** Scale at the start; default 2^16 (PyTorch's GradScaler; Keras uses 2^15). */
  initScale?: number;
  /** Factor applied after `growthInterval` consecutive finite steps; default 2. */
  growthFactor?: number;
  /** Factor applied on a step with an inf/NaN gradient; default 0.5. */
  backoffFactor?: number;
  /** Consecutive finite steps before growing; default 2000. */
  growthInterval?: number;
}

/** Everything a checkpoint needs to resume the scaler exactly (plain JSON). */
export interface LossScalerState {
  scale: number;
  growthTracker: number;
  skippedSteps: number;
  growthFactor: number;
  backoffFactor: number;
  growthInterval: number;
}

function check(name: string, value: unknown, ok: boolean, allowed: string): void {
  if (!ok) throw new RangeError(`DynamicLossScaler: ${name} must be ${allowed}; got ${String(value)}`);
}

function isPositiveFinite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}

/**
 * Dynamic loss scaling with the semantics and defaults of PyTorch's `torch.cuda.amp.GradScaler`: multiply
 * the loss by `scale`, divide the gradients by it, and if any gradient is inf/NaN skip the step and multiply
 * the scale by `backoffFactor`; after `growthInterval` consecutive finite steps multiply it by `growthFactor`
 * (unless that would overflow float32).
 */
export class DynamicLossScaler {
  readonly growthFactor: number;
  readonly backoffFactor: number;
  readonly growthInterval: number;
  #scale: number;
  #growthTracker = 0;
  #skippedSteps = 0;

  constructor(options: LossScalerOptions = {}) {
    const { initScale = 2 ** 16, growthFactor = 2, backoffFactor = 0.5, growthInterval = 2000 } = options;
    check('initScale', initScale, isPositiveFinite(initScale), 'a finite number > 0');
    check(
      'growthFactor',
      growthFactor,
      isPositiveFinite(growthFactor) && growthFactor > 1,
      'a finite number > 1',
    );
    check(
      'backoffFactor',
      backoffFactor,
      isPositiveFinite(backoffFactor) && backoffFactor < 1,
      'a number in (0, 1)',
    );
    check(
      'growthInterval',
      growthInterval,
      Number.isInteger(growthInterval) && growthInterval >= 1,
      'an integer >= 1',
    );
    this.#scale = initScale;
    this.growthFactor = growthFactor;
    this.backoffFactor = backoffFactor;
    this.growthInterval = growthInterval;
  }

  /** The current loss scale. */
  get scale(): number {
    return this.#scale;
  }

  /** Consecutive finite steps since the last growth or backoff. */
  get growthTracker(): number {
    return this.#growthTracker;
  }

  /** Steps skipped so far because a gradient was inf/NaN. */
  get skippedSteps(): number {
    return this.#skippedSteps;
  }

  /** loss x scale (a new tensor). */
  scaleLoss<T extends Tensor>(loss: T): T {
    return tidy(() => mul(loss, scalar(this.#scale))) as T;
  }

  /**
   * The gradients divided by the scale (new tensors; the caller disposes both maps) and whether every one
   * of them is finite. Reads one boolean back.
   */
  unscaleAndCheck(grads: NamedTensorMap): { grads: NamedTensorMap; finite: boolean } {
    const { grads: unscaled, finite } = this.unscale(grads);
    const ok = finite.dataSync()[0] === 1;
    finite.dispose();
    return { grads: unscaled, finite: ok };
  }

  /**
   * `unscaleAndCheck` without the read-back: the finiteness flag stays a bool scalar tensor (the caller
   * disposes it), to be read asynchronously, with the loss, once per step. On GPU backends a synchronous read
   * stalls the pipeline, and WebGPU in Node cannot read synchronously at all.
   */
  unscale(grads: NamedTensorMap): { grads: NamedTensorMap; finite: Tensor } {
    const inverse = scalar(Math.fround(1 / this.#scale));
    const unscaled: NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) unscaled[name] = mul(g, inverse);
    inverse.dispose();
    return { grads: unscaled, finite: finiteFlag(unscaled) };
  }

  /** Advance the scale after a step: back off on `finite === false` (and count the skip), else maybe grow. */
  update(finite: boolean): void {
    if (!finite) {
      this.#scale *= this.backoffFactor;
      this.#growthTracker = 0;
      this.#skippedSteps += 1;
      return;
    }
    this.#growthTracker += 1;
    if (this.#growthTracker === this.growthInterval) {
      const grown = Math.fround(this.#scale * this.growthFactor);
      if (Number.isFinite(grown)) this.#scale = grown;
      this.#growthTracker = 0;
    }
  }

  /**
   * Unscale `scaledGrads`, apply them with `optimizer` if all are finite, and update the scale. Returns whether
   * the step was taken. Does not dispose `scaledGrads`.
   */
  step(optimizer: Optimizer, scaledGrads: NamedTensorMap): boolean {
    const { grads, finite } = this.unscaleAndCheck(scaledGrads);
    if (finite) optimizer.applyGradients(grads);
    dispose(Object.values(grads));
    this.update(finite);
    return finite;
  }

  /**
   * One training step with loss scaling in full float32: like `optimizer.minimize(lossFn)`, but the gradients
   * of the scaled loss are unscaled and checked first. Returns the unscaled loss and whether the step ran.
   */
  minimize(
    optimizer: Optimizer,
    lossFn: () => Scalar,
    varList?: Variable[],
  ): { loss: number; stepped: boolean; scale: number } {
    const scale = this.#scale;
    const { value, grads } = variableGrads(() => this.scaleLoss(lossFn()), varList);
    const stepped = this.step(optimizer, grads);
    const loss = (value.dataSync()[0] as number) / scale;
    dispose([value, ...Object.values(grads)]);
    return { loss, stepped, scale };
  }

  getState(): LossScalerState {
    return {
      scale: this.#scale,
      growthTracker: this.#growthTracker,
      skippedSteps: this.#skippedSteps,
      growthFactor: this.growthFactor,
      backoffFactor: this.backoffFactor,
      growthInterval: this.growthInterval,
    };
  }

  /** Restores a state from `getState()` exactly; the factors and interval are taken from it too. */
  setState(state: LossScalerState): void {
    const restored = new DynamicLossScaler({
      initScale: state.scale,
      growthFactor: state.growthFactor,
      backoffFactor: state.backoffFactor,
      growthInterval: state.growthInterval,
    });
    check(
      'growthTracker',
      state.growthTracker,
      Number.isInteger(state.growthTracker) &&
        state.growthTracker >= 0 &&
        state.growthTracker < state.growthInterval,
      `an integer in [0, growthInterval = ${state.growthInterval})`,
    );
    check(
      'skippedSteps',
      state.skippedSteps,
      Number.isInteger(state.skippedSteps) && state.skippedSteps >= 0,
      'an integer >= 0',
    );
    this.#scale = restored.#scale;
    (this as { growthFactor: number }).growthFactor = restored.growthFactor;
    (this as { backoffFactor: number }).backoffFactor = restored.backoffFactor;
    (this as { growthInterval: number }).growthInterval = restored.growthInterval;
    this.#growthTracker = state.growthTracker;
    this.#skippedSteps = state.skippedSteps;
  }

  static fromState(state: LossScalerState): DynamicLossScaler {
    const scaler = new DynamicLossScaler();
    scaler.setState(state);
    return scaler;
  }
}

/** Whether every element of every tensor is finite (one boolean read back). */
export function allFinite(tensors: NamedTensorMap | Tensor[]): boolean {
  const flag = finiteFlag(tensors);
  const ok = flag.dataSync()[0] === 1;
  flag.dispose();
  return ok;
}

/** `allFinite` as a bool scalar tensor, computed on the device and not read back. */
export function finiteFlag(tensors: NamedTensorMap | Tensor[]): Tensor {
  const list = Array.isArray(tensors) ? tensors : Object.values(tensors);
  if (list.length === 0) return scalar(true, 'bool');
  return tidy(() => list.map((t) => all(isFiniteTensor(t))).reduce((acc, t) => logicalAnd(acc, t)));
}
