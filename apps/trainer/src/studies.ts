import type { ConfigPatch, TrainConfig } from './config.js';

/** One row of a study: a preset, shrunk to the study's scale, plus what the row changes. */
export interface StudyArm {
  /** The row's name in the table; also the run folder prefix. */
  readonly label: string;
  readonly preset: string;
  /** Applied after the study's scale: what this row turns on or off relative to its preset. */
  readonly patch?: ConfigPatch;
  /** The paper's top-1 for this row (ResNet-50, ImageNet); null where the paper has none. */
  readonly paperTop1: number | null;
  /**
   * 'teacher': trained once, with the first seed, before the rows that distil; not a row of the table.
   * 'student': distils from the study's teacher.
   */
  readonly role?: 'teacher' | 'student';
  /** The row this one's delta is taken against; default the row above (the paper's tables are ladders). */
  readonly compareTo?: string;
}

/** How a study shrinks the paper's ImageNet recipes to something two CPU cores train in minutes. */
export interface StudyScale {
  /** Study epochs per paper epoch: scales epochs, step milestones, warmup and mixup-off epochs alike. */
  readonly epochFactor: number;
  /**
   * Study batch per paper batch. The learning rate is multiplied by lrFactor, not by batchFactor: short runs
   * on small sets want a larger rate per image than the paper's, and linear scaling between rows still holds.
   */
  readonly batchFactor: number;
  /** Study lr per paper lr (default 1). */
  readonly lrFactor?: number;
  /** Data, model size and whatever else every row of the study shares. */
  readonly patch: ConfigPatch;
  /** One line for the results: the data and model the study trains. */
  readonly description: string;
}

export interface Study {
  readonly name: string;
  readonly summary: string;
  /** Where the paper's numbers come from. */
  readonly paperSource: string;
  readonly scale: StudyScale;
  readonly arms: readonly StudyArm[];
}

const fashionScale = {
  data: 'fashion-mnist',
  trainLimit: 4000,
  valLimit: 5000,
  depth: 18,
  width: 0.125,
  stem: 'cifar',
  inputSize: 28,
} satisfies ConfigPatch;

export const STUDIES: readonly Study[] = [
  {
    name: 'model-tweaks',
    summary: 'ResNet-50 A, B, C and D in the efficient setting (paper Table 5)',
    paperSource: 'Table 5 (ResNet-50 on ImageNet, efficient setting)',
    scale: {
      epochFactor: 8 / 120,
      batchFactor: 1 / 8,
      lrFactor: 1 / 2,
      description:
        'synthetic colour shapes (10 classes, 300 training and 300 validation images per class, 32 px), ResNet-50 at width 0.125 with the ImageNet stem, 8 epochs, batch 128, lr 0.2, FP16 emulation off',
      patch: {
        data: 'synthetic',
        syntheticClasses: 10,
        syntheticPerClass: 300,
        syntheticSize: 32,
        inputSize: 32,
        depth: 50,
        width: 0.125,
        stem: 'imagenet',
        // The paper's ImageNet augmentation, as the measured tables were made (auto would pick 'small' at 32 px).
        aug: 'imagenet',
        fp16: false,
      },
    },
    arms: [
      { label: 'ResNet-50-A', preset: 'efficient', paperTop1: 76.21 },
      { label: 'ResNet-50-B', preset: 'resnet50-b', paperTop1: 76.66 },
      { label: 'ResNet-50-C', preset: 'resnet50-c', paperTop1: 76.87 },
      { label: 'ResNet-50-D', preset: 'resnet50-d', paperTop1: 77.16 },
    ],
  },
  {
    name: 'refinements',
    summary: 'efficient -> +cosine -> +label smoothing -> +distillation, and +mixup (paper Table 6)',
    paperSource: 'Table 6 (ResNet-50-D on ImageNet)',
    scale: {
      epochFactor: 4 / 120,
      batchFactor: 1 / 4,
      description:
        'Fashion-MNIST (4,000 training images, 5,000 test images, both spread evenly over the sets), ResNet-18-D at width 0.125 with the stride-1 stem, 4 epochs (7 with mixup, as 120 -> 200), batch 256, FP16 emulation off; the teacher is the same ResNet-18-D trained by the study for 12 epochs (cosine, label smoothing)',
      patch: { ...fashionScale, fp16: false },
    },
    arms: [
      {
        // The paper's teacher is a bigger ResNet-152-D. Here a teacher of the students' size trained 3x as
        // long is the stronger one: a first teacher twice as wide, trained as long as the students, was
        // weaker than them (74.40% against 75.50% for +label-smoothing, seed 0).
        label: 'teacher',
        preset: '+label-smoothing',
        patch: { epochs: 12 },
        paperTop1: null,
        role: 'teacher',
      },
      { label: 'efficient', preset: 'resnet50-d', paperTop1: 77.16 },
      { label: '+cosine', preset: '+cosine', paperTop1: 77.91 },
      { label: '+label-smoothing', preset: '+label-smoothing', paperTop1: 78.31 },
      { label: '+distill', preset: '+distill', paperTop1: 78.67, role: 'student' },
      { label: '+mixup', preset: '+mixup', paperTop1: 79.15, compareTo: '+label-smoothing' },
    ],
  },
  {
    name: 'efficient-training',
    summary: 'large batch: linear scaling, + warmup, + zero gamma, + no bias decay, + FP16 (paper Table 4)',
    paperSource: 'Table 4 (ResNet-50 on ImageNet, batch 1024 against 256)',
    scale: {
      epochFactor: 4 / 120,
      batchFactor: 1 / 4,
      description:
        'Fashion-MNIST (4,000 training images, 5,000 test images, both spread evenly over the sets), ResNet-18 at width 0.125 with the stride-1 stem, 4 epochs, batch 64 (reference) against 256 (large)',
      patch: fashionScale,
    },
    arms: [
      { label: 'batch 64 (reference)', preset: 'baseline', paperTop1: 75.87 },
      {
        label: 'linear scaling',
        preset: 'efficient',
        patch: { warmupEpochs: 0, zeroGamma: false, noBiasDecay: false, fp16: false },
        paperTop1: 75.17,
      },
      {
        label: '+warmup',
        preset: 'efficient',
        patch: { zeroGamma: false, noBiasDecay: false, fp16: false },
        paperTop1: 75.93,
      },
      {
        label: '+zero-gamma',
        preset: 'efficient',
        patch: { noBiasDecay: false, fp16: false },
        paperTop1: 76.37,
      },
      { label: '+no-bias-decay', preset: 'efficient', patch: { fp16: false }, paperTop1: 76.03 },
      { label: '+fp16', preset: 'efficient', paperTop1: 76.21 },
    ],
  },
];

export function findStudy(name: string): Study | undefined {
  return STUDIES.find((s) => s.name === name);
}

/** The fields a preset's ImageNet-scale config changes when a study shrinks it. */
export function scalePreset(preset: TrainConfig, scale: StudyScale): ConfigPatch {
  const f = scale.epochFactor;
  const epochs = Math.max(1, Math.round(preset.epochs * f));
  const milestones = [...new Set(preset.milestones.map((m) => Math.round(m * f)))].filter(
    (m) => m > 0 && m < epochs,
  );
  return {
    epochs,
    milestones,
    warmupEpochs: preset.warmupEpochs * f,
    mixupOffEpochs: Math.min(epochs, Math.round(preset.mixupOffEpochs * f)),
    batchSize: Math.max(1, Math.round(preset.batchSize * scale.batchFactor)),
    lr: preset.lr * (scale.lrFactor ?? 1),
    accumulate: 1,
    ...scale.patch,
  };
}

/** A run folder name for a row and a seed: letters, digits, '.', '_', '+', '-' only. */
export function runNameOf(arm: StudyArm, seed: number): string {
  return `${arm.label.replace(/[^\w.+-]+/g, '-').replace(/^-+|-+$/g, '')}-s${seed}`;
}
