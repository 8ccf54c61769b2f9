import type { NamedAttrMap, NamedTensorMap, Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import {
  add,
  dispose,
  engine,
  mul,
  Optimizer,
  scalar,
  serialization,
  sub,
  tensor,
  tidy,
  variable,
} from '@tensorflow/tfjs-core';
import { checkNumber } from './check.js';
import { clipCoefficient, globalSquaredNorm } from './clip-by-global-norm.js';
import { noBiasDecay } from './decay-filter.js';
import { FUSED_SGD_KERNEL, type FusedSGDAttrs, fusedSGDAvailable } from './fused-sgd-kernel.js';
import {
  formatShape,
  type Gradients,
  gradientEntries,
  type NamedTensor,
  resolveVariable,
  sameShape,
} from './named-gradients.js';
import type { NesterovSGDState } from './optimizer-state.js';
import type { Schedule } from './schedule.js';

type ConfigDict = serialization.ConfigDict;
type Serializable = serialization.Serializable;
type SerializableConstructor<T extends Serializable> = serialization.SerializableConstructor<T>;

export interface NesterovSGDOptions {
  /** A constant, or a schedule evaluated at `iterations` (0 on the first update) before every update. */
  learningRate: number | Schedule;
  /** Default 0.9. With 0 this is plain SGD (no buffers). */
  momentum?: number;
  /** Default true. PyTorch's `nesterov=True`; false gives heavy-ball momentum. */
  nesterov?: boolean;
  /** Default 0. PyTorch's `dampening`; must be 0 with Nesterov momentum. */
  dampening?: number;
  /** Default 0. Coupled L2 decay: `weightDecay * w` is added to the gradient before momentum, as in PyTorch. */
  weightDecay?: number;
  /** Which variables get weight decay, by tfjs variable name. Default `noBiasDecay`. */
  decayFilter?: (variableName: string) => boolean;
  /** If set, gradients are clipped to this global L2 norm (PyTorch `clip_grad_norm_`) before the update. */
  maxGradNorm?: number;
  /** Default false. If true, an update with any NaN or infinite gradient (or a global gradient norm that
   * overflows float32, as PyTorch's `clip_grad_norm_(error_if_nonfinite=True)` sees it) is skipped and
   * counted, and `applyGradients` returns false. Costs one scalar device-to-host read per step. */
  skipNonFinite?: boolean;
  /** Default true. On the cpu backend, update each variable in one fused pass (bitwise equal to the op-by-op
   * path, about 20x faster there); false forces the op-by-op path, which every backend runs. */
  fusedKernel?: boolean;
}

export interface SetStateOptions {
  /** Maps a variable name stored in the state to the name in this process (e.g. a model rebuilt in the same
   * process gets tfjs-layers' `_1` suffixes). Default: identity. */
  mapName?: (savedName: string) => string;
}

const MOMENTUM_SUFFIX = '/momentum';

/**
 * Stochastic gradient descent with (Nesterov) momentum and filtered, coupled weight decay, equal step for step
 * to PyTorch's `torch.optim.SGD(params, lr, momentum, dampening, weight_decay, nesterov)`:
 *
 *     d = g + wd * w                       (only where decayFilter(name) is true)
 *     b = d on the first update, else momentum * b + (1 - dampening) * d
 *     d = d + momentum * b  (Nesterov)   or   d = b  (heavy ball)
 *     w = w - lr(step) * d
 *
 * A `tf.Optimizer`: works with `optimizer.minimize(f)`, `model.compile({ optimizer })` and
 * `model.save(..., { includeOptimizer: true })`. Momentum buffers are keyed by variable name.
 */
export class NesterovSGD extends Optimizer {
  static get className(): string {
    return 'NesterovSGD';
  }

  readonly learningRate: number | Schedule;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly decayFilter: (variableName: string) => boolean;
  readonly maxGradNorm: number | undefined;
  readonly skipNonFinite: boolean;
  readonly fusedKernel: boolean;

  private buffers = new Map<string, Variable>();
  /** Buffers from `setWeights`, bound to variables on the next update (see `setWeights`). */
  private pending: { name: string; buffer: Variable }[] | null = null;
  private skipped = 0;

  constructor(options: NesterovSGDOptions) {
    super();
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`options must be an object with a learningRate, got ${String(options)}`);
    }
    const {
      learningRate,
      momentum = 0.9,
      nesterov = true,
      dampening = 0,
      weightDecay = 0,
      decayFilter = noBiasDecay,
      maxGradNorm,
      skipNonFinite = false,
      fusedKernel = true,
    } = options;
    if (typeof learningRate !== 'function') checkNumber('learningRate', learningRate, 0);
    this.learningRate = learningRate;
    this.momentum = checkNumber('momentum', momentum, 0);
    this.dampening = checkNumber('dampening', dampening, 0);
    this.weightDecay = checkNumber('weightDecay', weightDecay, 0);
    if (nesterov && (this.momentum === 0 || this.dampening !== 0)) {
      throw new RangeError(
        `nesterov: true needs momentum > 0 and dampening = 0 (as in PyTorch), got momentum ${this.momentum} and dampening ${this.dampening}`,
      );
    }
    this.nesterov = nesterov;
    if (typeof decayFilter !== 'function') {
      throw new TypeError(
        `decayFilter must be a function (variableName) => boolean, got ${String(decayFilter)}`,
      );
    }
    this.decayFilter = decayFilter;
    this.maxGradNorm =
      maxGradNorm === undefined ? undefined : checkNumber('maxGradNorm', maxGradNorm, 0, true);
    this.skipNonFinite = skipNonFinite;
    this.fusedKernel = fusedKernel;
  }

  /** The learning rate the update at `step` uses. */
  learningRateAt(step: number): number {
    if (typeof this.learningRate === 'number') return this.learningRate;
    return checkNumber(`learningRate(${step}) (the schedule's value)`, this.learningRate(step), 0);
  }

  /** The learning rate the next update will use. */
  get currentLearningRate(): number {
    return this.learningRateAt(this.iterations);
  }

  /** Updates skipped for NaN or infinite gradients (only with `skipNonFinite`); they do not advance `iterations`. */
  get skippedSteps(): number {
    return this.skipped;
  }

  /**
   * One update from gradients keyed by variable name (a map, or the `{ name, tensor }` list `minimize`
   * passes). Null gradients are ignored. Returns false when the update was skipped (`skipNonFinite`).
   * The gradients are not disposed.
   */
  override applyGradients(variableGradients: Gradients): boolean {
    const where = `${NesterovSGD.className}.applyGradients`;
    const seen = new Set<string>();
    const updates: { name: string; gradient: Tensor; target: Variable }[] = [];
    for (const [name, gradient] of gradientEntries(variableGradients)) {
      if (seen.has(name)) throw new Error(`${where}: variable '${name}' has more than one gradient`);
      seen.add(name);
      const target = resolveVariable(name, gradient, where);
      if (gradient !== null) updates.push({ name, gradient, target });
    }
    if (this.pending !== null) this.bindPending(updates, where);
    const lr = this.currentLearningRate;
    // One pass over the gradients serves both the finiteness check and the clipping.
    const squaredNorm =
      this.skipNonFinite || this.maxGradNorm !== undefined
        ? globalSquaredNorm(updates.map((u) => u.gradient))
        : null;
    if (this.skipNonFinite && !Number.isFinite((squaredNorm as Scalar).dataSync()[0])) {
      squaredNorm?.dispose();
      this.skipped++;
      return false;
    }
    const fused =
      this.fusedKernel &&
      fusedSGDAvailable() &&
      updates.every((u) => u.target.dtype === 'float32' && u.gradient.dtype === 'float32');
    tidy(() => {
      const clip =
        this.maxGradNorm === undefined ? null : clipCoefficient(squaredNorm as Scalar, this.maxGradNorm);
      if (fused) {
        this.fusedStep(updates, lr, clip === null ? 1 : (clip.dataSync()[0] as number));
        return;
      }
      const lrScalar = scalar(lr);
      const momentum = scalar(this.momentum);
      const undamped = scalar(1 - this.dampening);
      const decay = scalar(this.weightDecay);
      for (const { name, gradient, target } of updates) {
        let direction = clip === null ? gradient : mul(gradient, clip);
        if (this.weightDecay !== 0 && this.decayFilter(name)) direction = add(direction, mul(decay, target));
        if (this.momentum !== 0) {
          const buffer = this.buffers.get(name);
          let next: Tensor;
          if (buffer === undefined) {
            next = direction;
            this.buffers.set(name, variable(direction, false));
          } else {
            next = add(mul(momentum, buffer), this.dampening === 0 ? direction : mul(undamped, direction));
            buffer.assign(next);
          }
          direction = this.nesterov ? add(direction, mul(momentum, next)) : next;
        }
        target.assign(sub(target, mul(lrScalar, direction)));
      }
    });
    squaredNorm?.dispose();
    this.incrementIterations();
    return true;
  }

  /** The cpu backend's single-pass update (see fused-sgd-kernel.ts); bitwise equal to the op path. */
  private fusedStep(
    updates: { name: string; gradient: Tensor; target: Variable }[],
    lr: number,
    clip: number,
  ) {
    for (const { name, gradient, target } of updates) {
      const buffer = this.momentum === 0 ? undefined : this.buffers.get(name);
      const inputs: NamedTensorMap = { w: target, g: gradient };
      if (buffer !== undefined) inputs.b = buffer;
      const attrs: FusedSGDAttrs = {
        learningRate: lr,
        momentum: this.momentum,
        dampening: this.dampening,
        weightDecay: this.weightDecay !== 0 && this.decayFilter(name) ? this.weightDecay : 0,
        nesterov: this.nesterov,
        clip,
      };
      const [weights, nextBuffer] = engine().runKernel(
        FUSED_SGD_KERNEL,
        inputs,
        attrs as unknown as NamedAttrMap,
      ) as Tensor[];
      target.assign(weights as Tensor);
      if (nextBuffer === undefined) continue;
      if (buffer === undefined) this.buffers.set(name, variable(nextBuffer, false));
      else buffer.assign(nextBuffer);
    }
  }

  /** Exact copy of the state (momentum buffers, iterations, skipped steps), for a checkpoint. */
  async getState(): Promise<NesterovSGDState> {
    const buffers = await Promise.all(
      this.namedBuffers().map(async ({ name, buffer }) => ({
        name,
        shape: [...buffer.shape],
        data: Float32Array.from((await buffer.data()) as Float32Array),
      })),
    );
    return {
      format: 'bot-optim/nesterov-sgd@1',
      iterations: this.iterations,
      skippedSteps: this.skipped,
      buffers,
    };
  }

  /** Restores `getState()`'s result; each buffer's variable must be registered with the same shape. */
  setState(state: NesterovSGDState, options: SetStateOptions = {}): void {
    const mapName = options.mapName ?? ((name: string) => name);
    checkNumber('state.iterations', state.iterations, 0);
    checkNumber('state.skippedSteps', state.skippedSteps, 0);
    const restored = state.buffers.map(({ name, shape, data }) => {
      const size = shape.reduce((a, b) => a * b, 1);
      if (data.length !== size) {
        throw new RangeError(
          `state buffer '${name}' has ${data.length} values, but its shape ${formatShape(shape)} needs ${size}`,
        );
      }
      return { name: mapName(name), values: tensor(data, shape, 'float32') };
    });
    try {
      this.replaceBuffers(restored, 'NesterovSGD.setState');
    } finally {
      dispose(restored.map((r) => r.values));
    }
    this.iterations_ = state.iterations;
    this.skipped = state.skippedSteps;
  }

  /** tfjs' optimizer-weights format: `iter`, then one `<variable name>/momentum` tensor per buffer. */
  override async getWeights(): Promise<NamedTensor[]> {
    const buffers = this.namedBuffers().map(({ name, buffer }) => ({
      name: name + MOMENTUM_SUFFIX,
      tensor: buffer,
    }));
    return [await this.saveIterations(), ...buffers];
  }

  /**
   * tfjs' restore path (`tf.loadLayersModel` of a model saved with `includeOptimizer`). A model loaded in a
   * process that already holds one of the same name gets suffixed variable names ('fc/kernel_1'), so the
   * buffers are bound on the next update: by name if every saved name is among the gradients, else by
   * position (the order tfjs-layers passes its trainable weights, as tfjs' own optimizers do), checking shapes.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const restored = rest.map(({ name, tensor: values }) => {
      if (!name.endsWith(MOMENTUM_SUFFIX)) {
        throw new Error(
          `NesterovSGD.setWeights: weight '${name}' is not a momentum buffer ('<variable name>${MOMENTUM_SUFFIX}')`,
        );
      }
      return { name: name.slice(0, -MOMENTUM_SUFFIX.length), values };
    });
    this.dispose();
    this.pending = restored.map(({ name, values }) => ({ name, buffer: variable(values, false) }));
  }

  override getConfig(): ConfigDict {
    return {
      learningRate: this.currentLearningRate,
      momentum: this.momentum,
      nesterov: this.nesterov,
      dampening: this.dampening,
      weightDecay: this.weightDecay,
      maxGradNorm: this.maxGradNorm ?? null,
      skipNonFinite: this.skipNonFinite,
    };
  }

  /** Rebuilds from `getConfig()`: a schedule comes back as the constant it had when saved, and the decay
   * filter as the default `noBiasDecay`. */
  static override fromConfig<T extends Serializable>(cls: SerializableConstructor<T>, config: ConfigDict): T {
    const options: NesterovSGDOptions = {
      learningRate: config.learningRate as number,
      momentum: config.momentum as number,
      nesterov: config.nesterov as boolean,
      dampening: config.dampening as number,
      weightDecay: config.weightDecay as number,
      skipNonFinite: config.skipNonFinite as boolean,
    };
    if (typeof config.maxGradNorm === 'number') options.maxGradNorm = config.maxGradNorm;
    return new cls(options);
  }

  override dispose(): void {
    dispose([...this.buffers.values(), ...(this.pending ?? []).map((p) => p.buffer)]);
    this.buffers.clear();
    this.pending = null;
  }

  private namedBuffers(): { name: string; buffer: Variable }[] {
    return this.pending ?? [...this.buffers].map(([name, buffer]) => ({ name, buffer }));
  }

  private bindPending(updates: { name: string; target: Variable }[], where: string): void {
    const pending = this.pending ?? [];
    const targets = new Map(updates.map((u) => [u.name, u.target]));
    const byName = pending.every((p) => targets.has(p.name));
    const pairs = byName
      ? pending.map((p) => ({ name: p.name, buffer: p.buffer, target: targets.get(p.name) as Variable }))
      : pending.map((p, i) => ({ name: updates[i]?.name, buffer: p.buffer, target: updates[i]?.target }));
    const describe = (name: string | undefined, shape: readonly number[] | undefined) =>
      `'${name}' ${shape === undefined ? '(none)' : formatShape(shape)}`;
    const mismatch = pairs.find((p) => p.target === undefined || !sameShape(p.target.shape, p.buffer.shape));
    if (mismatch !== undefined || (!byName && pending.length !== updates.length)) {
      throw new Error(
        `${where}: the momentum buffers restored by setWeights (${pending.map((p) => describe(p.name, p.buffer.shape)).join(', ')}) match the gradients (${updates.map((u) => describe(u.name, u.target.shape)).join(', ')}) neither by name nor by position and shape`,
      );
    }
    for (const { name, buffer } of pairs) this.buffers.set(name as string, buffer);
    this.pending = null;
  }

  private replaceBuffers(restored: { name: string; values: Tensor }[], where: string): void {
    for (const { name, values } of restored) {
      if (engine().registeredVariables[name] === undefined) {
        throw new Error(
          `${where}: momentum buffer for '${name}' (shape ${formatShape(values.shape)}) has no registered variable of that name; a model rebuilt in the same process gets suffixed names such as '${name}_1' (setState's mapName renames)`,
        );
      }
      resolveVariable(name, values, where);
    }
    this.dispose();
    for (const { name, values } of restored) this.buffers.set(name, variable(values, false));
  }
}

serialization.registerClass(NesterovSGD);
