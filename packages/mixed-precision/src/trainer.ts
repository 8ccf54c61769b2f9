import {
  dispose,
  type NamedTensorMap,
  type Optimizer,
  type Scalar,
  type Tensor,
  type Variable,
} from '@tensorflow/tfjs-core';
import { float16Gradients } from './float16-gradients.js';
import { allFinite, DynamicLossScaler } from './loss-scaler.js';
import { roundTensorToFloat16 } from './round-tensor.js';

/** The part of a tfjs-layers `LayersModel` / `Layer` this wrapper uses (no tfjs-layers import needed). */
export interface LayerLike {
  name: string;
  call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor | Tensor[];
  layers?: LayerLike[];
}

export interface ModelLike {
  trainableWeights: { read(): Tensor }[];
  layers?: LayerLike[];
}

export interface MixedPrecisionOptions {
  /** Any tfjs optimizer (tf.train.sgd, adam, @bot/optim's NesterovSGD...). It updates the FP32 masters. */
  optimizer: Optimizer;
  /** The model: its trainable weights are the masters, and its layers' outputs get rounded to binary16. */
  model?: ModelLike;
  /** Or the master variables directly (no activation rounding then, unless your loss function does it). */
  variables?: Variable[];
  /** The loss scaler; default a `new DynamicLossScaler()` (PyTorch defaults); `false` for none. */
  lossScaler?: DynamicLossScaler | false;
  /** 'float16' (default with a model): round every layer's output; 'float32': leave activations alone. */
  activations?: 'float16' | 'float32';
  /** Called with the unscaled FP16 gradients before the update (e.g. global-norm clipping); may return new ones. */
  transformGradients?: (grads: NamedTensorMap) => NamedTensorMap;
}

export interface MixedPrecisionStepResult {
  /** The unscaled loss of this step (NaN/inf when the loss was). */
  loss: number;
  /** Whether the optimizer ran; false when a gradient was inf/NaN. */
  stepped: boolean;
  /** The loss scale this step used (1 without a scaler). */
  scale: number;
}

/**
 * FP16 training emulated on float32 backends, the recipe of Micikevicius et al. (2018) as the paper uses it:
 * the model's variables hold the FP32 masters between steps. Each `step` assigns them their binary16-rounded
 * working copy, runs the forward and backward pass (every layer's output and the gradient flowing back
 * through it rounded to binary16), rounds the weight gradients to binary16, restores the masters, unscales,
 * and applies the update to the masters in float32, or skips it (and counts it) when a gradient is inf/NaN.
 */
export class MixedPrecisionTrainer {
  readonly optimizer: Optimizer;
  readonly lossScaler: DynamicLossScaler | undefined;
  readonly variables: Variable[];
  #transform: ((grads: NamedTensorMap) => NamedTensorMap) | undefined;
  #restoreLayers: (() => void) | undefined;
  #skippedSteps = 0;
  #steps = 0;

  constructor(options: MixedPrecisionOptions) {
    const { optimizer, model, variables, lossScaler, activations } = options;
    if (!optimizer || typeof (optimizer as Partial<Optimizer>).applyGradients !== 'function') {
      throw new RangeError('MixedPrecisionTrainer: optimizer must be a tfjs Optimizer (with applyGradients)');
    }
    if ((model === undefined) === (variables === undefined)) {
      throw new RangeError('MixedPrecisionTrainer: give exactly one of model or variables');
    }
    if (activations !== undefined && activations !== 'float16' && activations !== 'float32') {
      throw new RangeError(
        `MixedPrecisionTrainer: activations must be 'float16' or 'float32'; got ${JSON.stringify(activations)}`,
      );
    }
    this.optimizer = optimizer;
    this.lossScaler = lossScaler === false ? undefined : (lossScaler ?? new DynamicLossScaler());
    this.#transform = options.transformGradients;
    this.variables = variables ?? (model as ModelLike).trainableWeights.map((w) => w.read() as Variable);
    for (const v of this.variables) {
      if (typeof (v as Partial<Variable>).assign !== 'function' || v.dtype !== 'float32') {
        throw new RangeError(
          `MixedPrecisionTrainer: every master must be a float32 tf.Variable; ${v.name ?? 'one'} is ${v.dtype} [${v.shape.join(', ')}]`,
        );
      }
    }
    if (model && activations !== 'float32') this.#restoreLayers = roundLayerOutputs(model);
  }

  /** Steps skipped because a gradient was inf/NaN (with a loss scaler, the same as its `skippedSteps`). */
  get skippedSteps(): number {
    return this.#skippedSteps;
  }

  /** Steps attempted so far (taken + skipped). */
  get steps(): number {
    return this.#steps;
  }

  /**
   * One training step on the loss `lossFn` computes (a scalar, from the model's FP16-rounded forward pass).
   * With gradient accumulation, pass `{ updateScale: false }` for each micro-batch and call
   * `lossScaler.update(allFinite)` once per optimizer step, as PyTorch's GradScaler does: the scale then
   * stays fixed within a step and its growth interval counts optimizer steps, not micro-batches.
   */
  step(lossFn: () => Scalar, options: { updateScale?: boolean } = {}): MixedPrecisionStepResult {
    const scale = this.lossScaler?.scale ?? 1;
    const { value, grads: halfGrads } = float16Gradients(this.variables, lossFn, this.lossScaler);
    let unscaled: NamedTensorMap;
    let finite: boolean;
    if (this.lossScaler) {
      ({ grads: unscaled, finite } = this.lossScaler.unscaleAndCheck(halfGrads));
      dispose(Object.values(halfGrads));
    } else {
      unscaled = halfGrads;
      finite = allFinite(unscaled);
    }
    if (finite) {
      const update = this.#transform ? this.#transform(unscaled) : unscaled;
      this.optimizer.applyGradients(update);
      if (update !== unscaled) dispose(Object.values(update));
    } else {
      this.#skippedSteps += 1;
    }
    dispose(Object.values(unscaled));
    if (options.updateScale ?? true) this.lossScaler?.update(finite);
    this.#steps += 1;
    const loss = (value.dataSync()[0] as number) / scale;
    value.dispose();
    return { loss, stepped: finite, scale };
  }

  /** Puts the model's layers back to float32 outputs. The trainer must not be used afterwards. */
  detach(): void {
    this.#restoreLayers?.();
    this.#restoreLayers = undefined;
  }
}

/**
 * Wraps `call` of every leaf layer of `model` (recursing into nested models) so its float32 outputs are rounded
 * to binary16, with the gradient flowing back rounded too. Returns a function that undoes it.
 */
export function roundLayerOutputs(model: ModelLike | LayerLike): () => void {
  const restores: (() => void)[] = [];
  const round = (t: Tensor): Tensor => (t.dtype === 'float32' ? roundTensorToFloat16(t) : t);
  const visit = (layer: LayerLike) => {
    if (Array.isArray(layer.layers)) {
      for (const inner of layer.layers) visit(inner);
      return;
    }
    const own = Object.hasOwn(layer, 'call');
    const original = layer.call;
    layer.call = function (this: LayerLike, inputs, kwargs) {
      const out = original.call(this, inputs, kwargs);
      return Array.isArray(out) ? out.map(round) : round(out);
    };
    restores.push(() => {
      if (own) layer.call = original;
      else delete (layer as Partial<LayerLike>).call;
    });
  };
  for (const layer of model.layers ?? []) visit(layer);
  return () => {
    for (const restore of restores) restore();
  };
}
