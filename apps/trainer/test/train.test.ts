import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors } from '@bot/resnet-variants';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/checkpoint.js';
import { evaluateCheckpoint } from '../src/eval-command.js';
import { folderLoader } from '../src/export.js';
import { type TrainResult, train } from '../src/train.js';
import { tempDir, tinyConfig } from './helpers.js';

const quiet = { write: () => undefined, tty: false };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function finalWeights(run: string): Promise<Float32Array[]> {
  const { weights } = await readCheckpoint(join(run, 'checkpoints', 'last.ckpt'));
  return weights.map((w) => w.data as Float32Array);
}

/** Two runs ended with bit-identical weights and the same final accuracy. */
async function expectSameEnd(a: TrainResult, b: TrainResult): Promise<void> {
  const wa = await finalWeights(a.run);
  const wb = await finalWeights(b.run);
  expect(wa.length).toBeGreaterThan(20);
  for (const [i, w] of wa.entries())
    expect(Buffer.from(wb[i]!.buffer).equals(Buffer.from(w.buffer))).toBe(true);
  expect(b.final!.top1).toBe(a.final!.top1);
}

describe('resume', () => {
  it('2 epochs straight and 1 epoch + resume + 1 epoch give identical weights (mixup, smoothing, NAG)', async () => {
    const dir = tempDir('resume');
    const straight = await train(tinyConfig(dir, { runName: 'straight' }), quiet);
    const first = await train(tinyConfig(dir, { runName: 'split' }), {
      ...quiet,
      stopAfterSteps: straight.epochs[0]!.step,
    });
    expect(first.interrupted).toBe(true);
    const saved = await readCheckpoint(first.checkpoint);
    expect(saved.state).toMatchObject({ epoch: 0, step: straight.epochs[0]!.step });
    const resumed = await train(tinyConfig(dir, { runName: 'split' }), { ...quiet, resume: first.run });
    expect(resumed.interrupted).toBe(false);
    await expectSameEnd(straight, resumed);
    // The resumed run's history has each epoch once.
    const epochs = readFileSync(join(resumed.run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.type === 'epoch')
      .map((r) => r.epoch);
    expect(epochs).toEqual([1, 2]);
    for (const r of [straight, first, resumed]) r.model.dispose();
    // Three training runs: 34.5 s with both cores busy, so 60 s was too little headroom.
  }, 180_000);

  it('refuses a checkpoint of another architecture, and leaves it as it was', async () => {
    const dir = tempDir('arch');
    const run = await train(tinyConfig(dir, { epochs: 1, trainLimit: 4 }), quiet);
    const before = readFileSync(run.checkpoint);
    await expect(
      train(tinyConfig(dir, { epochs: 2, width: 1 / 8 }), { ...quiet, resume: run.run }),
    ).rejects.toThrow(
      /checkpoint .* is from another architecture: it holds ResNet-18-D width 0\.0625 .* but this run builds ResNet-18-D width 0\.125/,
    );
    expect(readFileSync(run.checkpoint).equals(before)).toBe(true);
    run.model.dispose();
  }, 60_000);

  it('on a full disk while saving: a clear error and the previous checkpoint still loads', async () => {
    const dir = tempDir('full');
    let saves = 0;
    const fullOnSecondSave = async (handle: import('node:fs/promises').FileHandle, data: Uint8Array) => {
      saves += 1;
      if (saves === 2) {
        await handle.write(data.subarray(0, 100));
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      }
      await handle.writeFile(data);
    };
    const config = tinyConfig(dir, { epochs: 2, trainLimit: 4 });
    await expect(train(config, { ...quiet, checkpointWriter: fullOnSecondSave })).rejects.toThrow(
      /the disk is full/,
    );
    const { state } = await readCheckpoint(join(dir, 'run', 'checkpoints', 'last.ckpt'));
    expect(state.epoch).toBe(1);
  }, 60_000);
});

describe('data-parallel replicas', () => {
  it("trains in 2 worker threads; a run stopped mid-epoch and resumed ends with the straight run's weights", async () => {
    const dir = tempDir('replicas');
    const config = (runName: string) => tinyConfig(dir, { runName, replicas: 2 });
    const lines: string[] = [];
    const straight = await train(config('straight'), { write: (l) => lines.push(l), tty: false });
    expect(lines.join('\n')).toMatch(/replicas: 2 worker threads on cpu, about 2 images each per step/);
    const first = await train(config('split'), { ...quiet, stopAfterSteps: 2 });
    expect(first.interrupted).toBe(true);
    const saved = await readCheckpoint(first.checkpoint);
    expect(saved.state).toMatchObject({ epoch: 0, batchInEpoch: 2, step: 2 });
    // The checkpoint holds what the replicas learned: BN statistics and momentum buffers, not the start.
    const movingMeans = saved.weights.filter((w) => /moving_mean/.test(w.name));
    expect(movingMeans.length).toBeGreaterThan(5);
    expect(movingMeans.some((w) => Array.from(w.data).some((v) => v !== 0))).toBe(true);
    expect(JSON.stringify(saved.state.optimizer)).toMatch(/"iterations":2/);
    const resumed = await train(config('split'), { ...quiet, resume: first.run });
    await expectSameEnd(straight, resumed);
    for (const r of [straight, first, resumed]) r.model.dispose();
  }, 120_000);

  it('FP16 with 2 replicas: the same TrainingStep in each, and a stopped + resumed run ends bit-exact', async () => {
    const dir = tempDir('replicas-fp16');
    const config = (runName: string) =>
      tinyConfig(dir, { runName, replicas: 2, fp16: true, initLossScale: 1024, accumulate: 2 });
    const straight = await train(config('straight'), quiet);
    expect(straight.replicas).toBe('2 worker threads on cpu');
    const first = await train(config('split'), { ...quiet, stopAfterSteps: 3 });
    const saved = await readCheckpoint(first.checkpoint);
    // The replicas' loss scaler reaches the checkpoint: 3 clean steps at the initial scale.
    expect(saved.state.lossScaler).toMatchObject({ scale: 1024, growthTracker: 3, skippedSteps: 0 });
    const resumed = await train(config('split'), { ...quiet, resume: first.run });
    await expectSameEnd(straight, resumed);
    for (const r of [straight, first, resumed]) r.model.dispose();
  }, 120_000);
});

describe('a two-step run with every trick on', () => {
  it('trains with mixup, smoothing, distillation, FP16 with accumulation, warmup+cosine, zero gamma, no bias decay; exports and evaluates', async () => {
    const dir = tempDir('tricks');
    const teacher = await train(tinyConfig(dir, { runName: 'teacher', epochs: 1, trainLimit: 4 }), quiet);
    const config = tinyConfig(dir, {
      runName: 'student',
      epochs: 1,
      trainLimit: 8,
      mixupAlpha: 0.2,
      mixupOffEpochs: 0,
      labelSmoothing: 0.1,
      smoothingForm: 'paper',
      teacher: teacher.checkpoint,
      distillForm: 'gluoncv',
      fp16: true,
      initLossScale: 1024,
      accumulate: 2,
      schedule: 'cosine',
      warmupEpochs: 0.5,
      zeroGamma: true,
      noBiasDecay: true,
      export: true,
    });
    const lines: string[] = [];
    const result = await train(config, { write: (l) => lines.push(l), tty: false });
    expect(lines.join('\n')).toMatch(/teacher: .*teacher/);
    const records = readFileSync(join(result.run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const steps = records.filter((r) => r.type === 'step');
    expect(steps).toHaveLength(2);
    for (const s of steps) {
      expect(Number.isFinite(s.loss)).toBe(true);
      expect(s.lossScale).toBeGreaterThan(0);
    }
    // Warmup over the first step (0.5 epoch of 2 steps), then the cosine from the peak: lr(0) = peak / 1.
    expect(steps[0].lr).toBeCloseTo(config.lr, 12);
    expect(steps[1].lr).toBeCloseTo(config.lr, 12);
    const { state } = await readCheckpoint(result.checkpoint);
    expect(state.step).toBe(2);
    // Two optimizer steps of two micro-batches each: the scaler counts steps, as GradScaler does.
    expect(state.lossScaler).toMatchObject({ scale: 1024, growthTracker: 2, skippedSteps: 0 });

    const html = readFileSync(result.report, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toMatch(/mixup 0\.2/);
    const png = readFileSync(join(result.run, 'report', 'curves.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');

    // The tfjs export loads back and predicts what the trained model predicts.
    const exported = await tf.loadLayersModel(folderLoader(result.exported!.tfjs));
    const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 1);
    const expected = result.model.predict(x) as tf.Tensor;
    const actual = exported.predict(x) as tf.Tensor;
    expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
    const st = decodeSafetensors(readFileSync(result.exported!.safetensors));
    // ResNet-18's last stage has 512 x width channels.
    expect(st.tensors.get('fc.weight')?.shape).toEqual([3, 512 / 16]);

    // The epoch's evaluation ran with FP16-rounded activations, `eval` runs the FP32 export: one image may flip.
    const accuracy = await evaluateCheckpoint(result.run, { backend: 'cpu' });
    expect(accuracy.count).toBe(12);
    expect(Math.abs(accuracy.top1 - result.final!.top1)).toBeLessThanOrEqual(1 / 12 + 1e-9);
    tf.dispose([x, expected, actual]);
    for (const m of [exported, teacher.model, result.model]) m.dispose();
  }, 90_000);

  it('loads a teacher from safetensors, and refuses one (checkpoint or safetensors) with another class count', async () => {
    const dir = tempDir('teacher');
    const teacher = await train(
      tinyConfig(dir, { runName: 'teacher4', epochs: 1, trainLimit: 4, syntheticClasses: 4, export: true }),
      quiet,
    );
    await expect(
      train(tinyConfig(dir, { runName: 'a', teacher: teacher.checkpoint }), quiet),
    ).rejects.toThrow(/teacher .* predicts 4 classes but the data has 3/);
    const safetensors = teacher.exported!.safetensors;
    const asTeacher = { teacherDepth: 18, teacherVariant: 'D', teacherWidth: 1 / 16 } as const;
    await expect(
      train(tinyConfig(dir, { runName: 'b', teacher: safetensors, ...asTeacher }), quiet),
    ).rejects.toThrow(/teacher .*model\.safetensors predicts 4 classes but the data has 3/);
    // Same classes: the safetensors teacher loads and the student trains a step with it.
    const lines: string[] = [];
    const student = await train(
      tinyConfig(dir, {
        runName: 'c',
        teacher: safetensors,
        ...asTeacher,
        syntheticClasses: 4,
        epochs: 1,
        trainLimit: 4,
      }),
      { write: (l) => lines.push(l), tty: false },
    );
    expect(lines.join('\n')).toMatch(/teacher: .*model\.safetensors \(ResNet-18-D\)/);
    expect(Number.isFinite(student.epochs[0]!.trainLoss)).toBe(true);
    for (const m of [teacher.model, student.model]) m.dispose();
  }, 60_000);
});

describe('data errors', () => {
  it('names a missing folder, a folder without train/, and an empty class folder', async () => {
    const dir = tempDir('data');
    await expect(train(tinyConfig(dir, { data: join(dir, 'nope') }), quiet)).rejects.toThrow(
      /data = ".*nope": no such folder/,
    );
    await expect(train(tinyConfig(dir, { data: dir, runName: 'b' }), quiet)).rejects.toThrow(
      /no train split: expected a folder train\//,
    );
    mkdirSync(join(dir, 'train', 'cat'), { recursive: true });
    mkdirSync(join(dir, 'val', 'cat'), { recursive: true });
    await expect(train(tinyConfig(dir, { data: dir, runName: 'c' }), quiet)).rejects.toThrow(
      /class folder\(s\) with no images/,
    );
    expect(existsSync(join(dir, 'c', 'checkpoints', 'last.ckpt'))).toBe(false);
  });
});
