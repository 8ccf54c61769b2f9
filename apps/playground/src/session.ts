import {
  ColorJitter,
  mixupTensor,
  Normalize,
  RandomHorizontalFlip,
  RandomResizedCrop,
  TensorPipeline,
  type Transform,
} from '@bot/augment/tensor';
import { crossEntropy } from '@bot/losses';
import { decayAll, NesterovSGD } from '@bot/optim';
import { isDecayedVariable, type ResNetConfig, resnet, toSafetensors } from '@bot/resnet-variants';
import { Rng } from '@bot/rng';
import {
  argMax,
  cast,
  dispose,
  div,
  equal,
  keep,
  oneHot,
  type Scalar,
  sub,
  sum,
  type Tensor,
  type Tensor2D,
  type Tensor4D,
  tensor1d,
  tensor4d,
  tidy,
  type Variable,
  variableGrads,
} from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import {
  CLASSES,
  FASHION_MEAN,
  FASHION_STD,
  type FashionMnistData,
  PIXELS,
  SIDE,
  type Split,
} from './data.js';
import { type Plan, planSchedule } from './schedule.js';
import type { Settings } from './settings.js';

export interface StepRecord {
  step: number;
  epoch: number;
  lr: number;
  loss: number;
  /** Share of the batch whose argmax is its own (unmixed) label. */
  trainAccuracy: number;
  imagesPerSecond: number;
  /** Wall time of this step. */
  seconds: number;
}

export interface EvalRecord {
  step: number;
  epoch: number;
  testAccuracy: number;
}

const NUM_CLASSES = CLASSES.length;

/** The demo ResNet-18 of the page's settings (the trainer's demo: CIFAR stem, 1 channel, 28x28). */
export function modelConfig(settings: Settings): ResNetConfig {
  return {
    depth: 18,
    variant: settings.variant,
    numClasses: NUM_CLASSES,
    inputSize: SIDE,
    inputChannels: 1,
    stem: 'cifar',
    width: settings.width,
    zeroGamma: settings.zeroGamma,
    init: 'xavier-uniform',
    seed: settings.seed,
  };
}

/** The training transforms of the settings, on tensors: RandomResizedCrop, flip, jitter, Normalize. */
export function trainTransforms(settings: Settings): Transform[] {
  const out: Transform[] = [];
  if (settings.crop) out.push(new RandomResizedCrop(SIDE, { scale: [settings.cropScale, 1] }));
  if (settings.flip) out.push(new RandomHorizontalFlip());
  if (settings.jitter > 0)
    out.push(new ColorJitter({ brightness: settings.jitter, contrast: settings.jitter }));
  out.push(new Normalize({ mean: [FASHION_MEAN], std: [FASHION_STD] }));
  return out;
}

/** 8-bit 28x28 grey images, normalised as the training transforms end. */
export function normalizeBatch(pixels: Uint8Array, n: number): Tensor4D {
  return tidy(() =>
    div(sub(tensor4d(Float32Array.from(pixels), [n, SIDE, SIDE, 1]), FASHION_MEAN), FASHION_STD),
  );
}

/**
 * One training run in the tab: the model, NAG with the schedule, augmentation on tensors, mixup and label
 * smoothing, with Stop and Resume between steps.
 */
export class Session {
  readonly config: ResNetConfig;
  readonly plan: Plan;
  readonly model: LayersModel;
  readonly steps: StepRecord[] = [];
  readonly evals: EvalRecord[] = [];
  step = 0;
  private readonly optimizer: NesterovSGD;
  private readonly augment: TensorPipeline;
  private readonly trainable: Variable[];
  private order: Uint32Array | null = null;
  private stopRequested = false;
  private running = false;
  /** Seconds spent in training steps (not evaluation) and the images they saw. */
  private seconds = 0;
  private images = 0;

  constructor(
    readonly settings: Settings,
    readonly data: FashionMnistData,
  ) {
    this.config = modelConfig(settings);
    this.plan = planSchedule(settings, data.train.count);
    this.model = resnet(this.config);
    this.trainable = this.model.trainableWeights.map((w) => w.read() as Variable);
    this.optimizer = new NesterovSGD({
      learningRate: this.plan.schedule,
      momentum: 0.9,
      nesterov: true,
      weightDecay: settings.weightDecay,
      decayFilter: settings.noBiasDecay ? isDecayedVariable : decayAll,
    });
    this.augment = new TensorPipeline(trainTransforms(settings));
  }

  get totalSteps(): number {
    const cap = this.settings.maxSteps;
    return cap > 0 ? Math.min(cap, this.plan.totalSteps) : this.plan.totalSteps;
  }
  get done(): boolean {
    return this.step >= this.totalSteps;
  }
  get isRunning(): boolean {
    return this.running;
  }
  get epoch(): number {
    return Math.floor(this.step / this.plan.stepsPerEpoch);
  }
  /** Training images per second so far (steps only). */
  get imagesPerSecond(): number {
    return this.seconds > 0 ? this.images / this.seconds : 0;
  }
  /** Seconds left at the measured speed. */
  get etaSeconds(): number {
    const rate = this.imagesPerSecond;
    return rate > 0 ? ((this.totalSteps - this.step) * this.settings.batchSize) / rate : Number.NaN;
  }

  stop(): void {
    this.stopRequested = true;
  }

  /** Trains until done or stopped; `onStep` after every step. Resolves when the loop ends. */
  async run(onStep: (r: StepRecord) => void, onEval: (r: EvalRecord) => void): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopRequested = false;
    try {
      while (!this.done && !this.stopRequested) {
        const record = await this.trainStep();
        this.steps.push(record);
        onStep(record);
        const endOfEpoch = this.step % this.plan.stepsPerEpoch === 0;
        if (endOfEpoch && !this.done) onEval(await this.evaluate());
        // let the page paint between steps
        await new Promise((r) => setTimeout(r, 0));
      }
      if (this.done || this.stopRequested) onEval(await this.evaluate());
    } finally {
      this.running = false;
    }
  }

  private batchIndices(): Uint32Array {
    const { stepsPerEpoch } = this.plan;
    const b = this.settings.batchSize;
    const k = this.step % stepsPerEpoch;
    if (k === 0 || !this.order) {
      this.order = Rng.derive(this.settings.seed, this.epoch).permutation(this.data.train.count);
    }
    return this.order.subarray(k * b, (k + 1) * b);
  }

  private async trainStep(): Promise<StepRecord> {
    const start = performance.now();
    const { train } = this.data;
    const indices = this.batchIndices();
    const n = indices.length;
    const raw = new Uint8Array(n * PIXELS);
    const labels = new Int32Array(n);
    indices.forEach((index, i) => {
      raw.set(train.pixels.subarray(index * PIXELS, (index + 1) * PIXELS), i * PIXELS);
      labels[i] = train.labels[index] as number;
    });
    const { seed, mixupAlpha, labelSmoothing } = this.settings;
    const epoch = this.epoch;
    const lr = this.plan.schedule(this.step);
    const x = this.augment.apply(
      { data: raw, shape: [n, SIDE, SIDE, 1] },
      Array.from(indices, (index) => Rng.derive(seed, epoch, index)),
    );
    let images: Tensor4D = x;
    let targets: Tensor2D;
    if (mixupAlpha > 0) {
      const mixed = mixupTensor(x, labels, NUM_CLASSES, mixupAlpha, Rng.derive(seed + 1, epoch, this.step));
      images = mixed.images;
      targets = mixed.targets;
      x.dispose();
    } else {
      targets = tidy(() => cast(oneHot(tensor1d(labels, 'int32'), NUM_CLASSES), 'float32') as Tensor2D);
    }
    let correct: Tensor | null = null;
    const lossFn = (): Scalar => {
      const logits = this.model.apply(images, { training: true }) as Tensor2D;
      // kept: variableGrads disposes whatever the loss function made and did not return
      correct = keep(tidy(() => sum(cast(equal(argMax(logits, 1), tensor1d(labels, 'int32')), 'int32'))));
      return crossEntropy(logits, targets, { labelSmoothing, smoothing: 'uniform' });
    };
    const { value, grads } = variableGrads(lossFn, this.trainable);
    this.optimizer.applyGradients(grads);
    const [lossValue, correctValue] = await Promise.all([
      value.data(),
      (correct as unknown as Tensor).data(),
    ]);
    dispose([value, images, targets, correct as unknown as Tensor, ...Object.values(grads)]);
    this.step++;
    const seconds = (performance.now() - start) / 1000;
    this.seconds += seconds;
    this.images += n;
    return {
      step: this.step,
      epoch,
      lr,
      loss: lossValue[0] as number,
      trainAccuracy: (correctValue[0] as number) / n,
      imagesPerSecond: this.imagesPerSecond,
      seconds,
    };
  }

  /** Top-1 accuracy on the loaded test images. */
  async evaluate(): Promise<EvalRecord> {
    const test: Split = this.data.test;
    const chunk = 500;
    let correct = 0;
    for (let from = 0; from < test.count; from += chunk) {
      const to = Math.min(test.count, from + chunk);
      const x = normalizeBatch(test.pixels.subarray(from * PIXELS, to * PIXELS), to - from);
      const hits = tidy(() =>
        sum(
          cast(
            equal(
              argMax(this.model.predict(x) as Tensor2D, 1),
              tensor1d(test.labels.subarray(from, to), 'int32'),
            ),
            'int32',
          ),
        ),
      );
      correct += (await hits.data())[0] as number;
      dispose([x, hits]);
    }
    const record = {
      step: this.step,
      epoch: this.step / this.plan.stepsPerEpoch,
      testAccuracy: correct / test.count,
    };
    this.evals.push(record);
    return record;
  }

  /** Logits of the model in inference mode on normalised NHWC 28x28x1 inputs. */
  async logits(values: Float32Array, n: number): Promise<Float32Array> {
    const x = tensor4d(values, [n, SIDE, SIDE, 1]);
    const y = this.model.predict(x) as Tensor2D;
    const out = (await y.data()) as Float32Array;
    dispose([x, y]);
    return out;
  }

  /** The weights as safetensors with timm's state_dict keys. */
  safetensors(): Uint8Array {
    return toSafetensors(this.model, this.config);
  }

  /** Every step and evaluation as CSV. */
  csv(): string {
    const rows = ['step,epoch,lr,loss,train_accuracy,images_per_second,step_seconds,test_accuracy'];
    const evalAt = new Map(this.evals.map((e) => [e.step, e.testAccuracy]));
    for (const s of this.steps) {
      const t = evalAt.get(s.step);
      rows.push(
        [s.step, s.epoch, s.lr, s.loss, s.trainAccuracy, s.imagesPerSecond, s.seconds, t ?? '']
          .map((v) => String(v))
          .join(','),
      );
    }
    return `${rows.join('\n')}\n`;
  }

  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
  }
}
