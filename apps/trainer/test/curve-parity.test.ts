import { readFileSync } from 'node:fs';
import { selectBackend } from '@bot/backend';
import { TrainingStep } from '@bot/parallel';
import { Rng } from '@bot/rng';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { stepBatch } from '../src/batch-targets.js';
import type { Batch } from '../src/integrations/data.js';
import { loadSafetensors, resnet, resnetConfigOf } from '../src/integrations/model.js';
import { buildSchedule } from '../src/integrations/schedule.js';
import { buildLossScaler, trainingStepOptions } from '../src/replica.js';
import { resolveConfig } from '../src/resolve.js';
import { buildOptimizer } from '../src/step-parts.js';

/**
 * Curve parity with PyTorch: the trainer's own training step (the TrainingStep, loss, NesterovSGD with its
 * decay groups and the schedule that `bot-train train` builds) against torch.optim.SGD on the same initial
 * weights and the same 20 batches, without randomness (no augmentation, no mixup) but with label smoothing,
 * warmup + cosine, NAG and weight decay on conv and fc weights only. Fixtures from
 * tools/reference/make_curve_fixture.py (PyTorch 1.13); see there for the data and the recipe.
 */
const dir = new URL('./fixtures/curve-parity/', import.meta.url);
const fixture = JSON.parse(readFileSync(new URL('curve.json', dir), 'utf8')) as {
  config: Record<string, unknown>;
  stepsPerEpoch: number;
  numClasses: number;
  imageShape: [number, number, number, number];
  batches: { index: number[]; labels: number[] }[];
  lossFloat64: number[];
  lossFloat32: number[];
  float32Noise: number[];
  tolerance: number[];
  wrongRecipeMovesInTolerances: Record<string, number>;
};
const pixels = new Uint8Array(readFileSync(new URL('images.u8', dir)));
const weights = new Uint8Array(readFileSync(new URL('initial.safetensors', dir)));

const c = fixture.config;
const config = resolveConfig({
  preset: 'efficient',
  data: 'synthetic',
  depth: c['depth'] as 18,
  variant: c['variant'] as 'D',
  width: c['width'] as number,
  stem: c['stem'] as 'cifar',
  inputSize: c['inputSize'] as number,
  zeroGamma: true,
  epochs: c['epochs'] as number,
  batchSize: c['batchSize'] as number,
  accumulate: 1,
  lr: c['lr'] as number,
  momentum: c['momentum'] as number,
  nesterov: true,
  weightDecay: c['weightDecay'] as number,
  noBiasDecay: true,
  schedule: 'cosine',
  milestones: [],
  warmupEpochs: c['warmupEpochs'] as number,
  labelSmoothing: c['labelSmoothing'] as number,
  smoothingForm: 'uniform',
  mixupAlpha: 0,
  cutmixAlpha: 0,
  mixupOffEpochs: 0,
  fp16: false,
});

/** The network input of a batch, NHWC float32, as the fixture defines it: (pixel - 127.5) / 64. */
function batchOf(step: number): Batch {
  const [, h, w, ch] = fixture.imageShape;
  const per = h * w * ch;
  const { index, labels } = fixture.batches[step]!;
  const images = new Float32Array(index.length * per);
  index.forEach((image, i) => {
    for (let k = 0; k < per; k++) images[i * per + k] = (pixels[image * per + k]! - 127.5) / 64;
  });
  return {
    images,
    shape: [index.length, h, w, ch],
    labels: Int32Array.from(labels),
    layout: 'hwc',
  } as unknown as Batch;
}

/** Our per-step training losses over the fixture's batches, with the trainer's step on the current backend. */
async function ourCurve(): Promise<number[]> {
  const resnetConfig = resnetConfigOf(config, fixture.numClasses, fixture.imageShape[3]);
  const model = resnet(resnetConfig);
  loadSafetensors(model, resnetConfig, weights);
  const optimizer = buildOptimizer(config, buildSchedule(config, fixture.stepsPerEpoch));
  const step = new TrainingStep(
    trainingStepOptions({
      config,
      numClasses: fixture.numClasses,
      model,
      teacher: null,
      optimizer,
      lossScaler: buildLossScaler(config),
    }),
  );
  const rng = Rng.from('unused: no mixup');
  const losses: number[] = [];
  for (let s = 0; s < fixture.batches.length; s++) {
    const batch = stepBatch(batchOf(s), fixture.numClasses, config, false, rng);
    losses.push((await step.run(batch)).loss);
  }
  model.dispose();
  optimizer.dispose();
  return losses;
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('curve parity with PyTorch', () => {
  it('the tolerance is float32 noise, far below what a slightly wrong recipe does', () => {
    expect(fixture.batches).toHaveLength(20);
    expect(buildSchedule(config, fixture.stepsPerEpoch)(fixture.batches.length - 1)).toBeGreaterThan(0);
    // A slightly wrong recipe (decay on BN and biases, no smoothing, plain momentum, lr x 1.01, momentum
    // 0.89) moves PyTorch's curve by hundreds of tolerances: the test sees such a divergence.
    for (const [recipe, moved] of Object.entries(fixture.wrongRecipeMovesInTolerances)) {
      expect(moved, recipe).toBeGreaterThan(100);
    }
    // The tolerance is 10x PyTorch's own float32 noise (float32 runs, perturbed by an ulp, against float64).
    fixture.tolerance.forEach((t, s) => {
      expect(t).toBeGreaterThanOrEqual(10 * fixture.float32Noise[s]!);
      expect(t).toBeLessThanOrEqual(1e-4);
    });
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`our 20-step loss curve on ${backend} equals PyTorch's within the float32 tolerance`, async () => {
      await selectBackend({ prefer: backend, env: {} });
      const ours = await ourCurve();
      const diffs = ours.map((v, s) => Math.abs(v - fixture.lossFloat64[s]!));
      const over = diffs
        .map((d, s) => ({ step: s, ours: ours[s], torch: fixture.lossFloat64[s], diff: d }))
        .filter((d) => d.diff > fixture.tolerance[d.step]!);
      expect(over, `steps over tolerance on ${backend}: ${JSON.stringify(over)}`).toEqual([]);
      // The cpu backend took up to 120 s for the 20 steps with both cores busy: ample headroom over that.
    }, 600_000);
  }
});
