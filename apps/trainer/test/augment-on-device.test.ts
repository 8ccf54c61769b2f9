import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataLoader } from '@bot/data';
import { Rng } from '@bot/rng';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { stepBatch } from '../src/batch-targets.js';
import { readCheckpoint } from '../src/checkpoint.js';
import type { TrainConfig } from '../src/config.js';
import { devicePlans, deviceStepBatch } from '../src/device-batch.js';
import { ConfigError } from '../src/errors.js';
import { buildAugmentation } from '../src/integrations/augmentation.js';
import { type Batch, openData } from '../src/integrations/data.js';
import { main } from '../src/main.js';
import { resolveConfig } from '../src/resolve.js';
import { train } from '../src/train.js';
import { capture, stepLosses, tempDir, tinyConfig } from './helpers.js';

const quiet = { write: () => undefined, tty: false };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function take(batches: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

/** The paper's augmentation on 24 px JPEGs trained at 16 px: the CPU stores them at 18 x 18. */
function deviceConfig(dir: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return tinyConfig(dir, {
    augmentOn: 'device',
    aug: 'imagenet',
    syntheticSize: 24,
    mixupAlpha: 0.2,
    cutmixAlpha: 1,
    ...overrides,
  });
}

describe('--augment-on device', () => {
  it('trains deterministically for a seed, writes the field to config.json, and resumes to the straight run’s weights', async () => {
    const dir = tempDir('device');
    const a = await train(deviceConfig(dir, { runName: 'a' }), quiet);
    const b = await train(deviceConfig(dir, { runName: 'b' }), quiet);
    expect(stepLosses(a.run)).toHaveLength(6);
    expect(stepLosses(b.run)).toEqual(stepLosses(a.run));
    expect(JSON.parse(readFileSync(join(a.run, 'config.json'), 'utf8')).augmentOn).toBe('device');
    // Stopped mid-epoch (after 4 of the 6 steps), then resumed.
    const first = await train(deviceConfig(dir, { runName: 'split' }), { ...quiet, stopAfterSteps: 4 });
    expect(first.interrupted).toBe(true);
    const resumed = await train(deviceConfig(dir, { runName: 'split' }), { ...quiet, resume: first.run });
    expect(stepLosses(resumed.run)).toEqual(stepLosses(a.run));
    const [wa, wr] = await Promise.all([readCheckpoint(a.checkpoint), readCheckpoint(resumed.checkpoint)]);
    for (const [i, w] of wa.weights.entries()) {
      expect(
        Buffer.from((w.data as Float32Array).buffer).equals(Buffer.from(wr.weights[i]!.data.buffer)),
      ).toBe(true);
    }
    for (const r of [a, b, first, resumed]) r.model.dispose();
  }, 240_000);

  it('the loss falls on a tiny set', async () => {
    const dir = tempDir('device-falls');
    const run = await train(
      deviceConfig(dir, {
        aug: 'small',
        syntheticSize: 16,
        mixupAlpha: 0,
        cutmixAlpha: 0,
        mixupOffEpochs: 0,
        epochs: 8,
        warmupEpochs: 0,
      }),
      quiet,
    );
    const losses = stepLosses(run.run);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(losses.slice(-6))).toBeLessThan(0.7 * mean(losses.slice(0, 6)));
    run.model.dispose();
  }, 240_000);

  it('each sample’s crop box is the one the host path draws for the same (seed, epoch, index), on the file’s own size', async () => {
    const dir = tempDir('device-plans');
    const host = await openData(deviceConfig(dir, { augmentOn: 'host' }), join(dir, '.cache'));
    const device = await openData(deviceConfig(dir), join(dir, '.cache'));
    expect(host.trainOnDevice).toBeNull();
    // The host path's first transform: the sharp pipeline's RandomResizedCrop.
    const hostCrop = buildAugmentation(deviceConfig(dir, { augmentOn: 'host' })).train.transforms[0];
    if (hostCrop?.kind !== 'geometry') throw new Error('the imagenet recipe starts with a crop');
    const pipeline = device.trainOnDevice!.pipeline;
    const loader = new DataLoader(device.train, { batchSize: 6, seed: 0 });
    let checked = 0;
    for await (const batch of loader.epoch(1)) {
      expect(batch.shape).toEqual([6, 18, 18, 3]);
      const plans = devicePlans(pipeline, batch, 0);
      for (const [k, index] of batch.indices.entries()) {
        // The file's size from its header, and the host pipeline's first draw (RandomResizedCrop).
        const meta = await sharp(device.train.describe!(index)).metadata();
        const source = { width: meta.width!, height: meta.height! };
        expect([batch.sourceSizes![2 * k], batch.sourceSizes![2 * k + 1]]).toEqual([24, 24]);
        const box = hostCrop.plan(source, Rng.derive(0, 1, index))[0];
        expect(plans[k]!.geometry[0]).toEqual(box);
        checked++;
      }
    }
    expect(checked).toBe(12);
  }, 60_000);

  it.each([
    [
      'Fashion-MNIST (one size, nothing on the CPU)',
      { data: 'fashion-mnist', inputSize: 28, trainLimit: 64 },
    ],
    ['an ImageFolder, small recipe (Resize + CenterCrop on the CPU)', { aug: 'small', syntheticSize: 20 }],
  ] as const)(
    'on %s the device batch is the host batch, mixup included',
    async (_, data) => {
      const dir = tempDir('device-same');
      const base = { ...data, mixupAlpha: 0.2, cutmixAlpha: 0 } as Partial<TrainConfig>;
      const host = await openData(tinyConfig(dir, base), dir);
      const config = tinyConfig(dir, { ...base, augmentOn: 'device' });
      const device = await openData(config, dir);
      const [h] = await take(new DataLoader(host.train, { batchSize: 8, seed: 0 }).epoch(2));
      const [d] = await take(new DataLoader(device.train, { batchSize: 8, seed: 0 }).epoch(2));
      expect(Array.from(d!.indices)).toEqual(Array.from(h!.indices));
      for (const mix of [false, true]) {
        const before = tf.memory().numTensors;
        const classes = host.classes.length;
        const a = stepBatch(h!, classes, config, mix, Rng.from(5));
        const b = deviceStepBatch(d!, device.trainOnDevice!.pipeline, classes, config, mix, Rng.from(5));
        const got = await b.images.data();
        let max = 0;
        for (const [i, v] of a.images.entries()) max = Math.max(max, Math.abs(v - (got[i] as number)));
        // Crops and flips without resizing are exact; Normalize's float rounding differs by ~1e-7.
        expect(max).toBeLessThan(1e-5);
        expect(Array.from(b.targets!)).toEqual(Array.from(a.targets!));
        b.images.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }
    },
    60_000,
  );

  it('refuses bad values, naming the field, the value and what is allowed; --help shows the flag', async () => {
    expect(() => resolveConfig({ augmentOn: 'gpu' as never })).toThrow(ConfigError);
    expect(() => resolveConfig({ augmentOn: 'gpu' as never })).toThrow(
      /augmentOn = "gpu": .*"host".*"device"/,
    );
    expect(() => resolveConfig({ augmentOn: 'device', interpolation: 'bilinear-pil' })).toThrow(
      /interpolation = "bilinear-pil": PIL's filter runs on the host only/,
    );
    expect(resolveConfig({}).augmentOn).toBe('host');
    const { out, err } = capture();
    expect(await main(['--augment-on', 'cpu', '--backend', 'cpu'])).toBe(2);
    expect(err.join('')).toMatch(/augmentOn = "cpu"/);
    expect(await main(['train', '--help'])).toBe(0);
    expect(out.join('')).toMatch(/--augment-on <value>\s+'host': decode and augment each image on the CPU/);
  });
});
