import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '@bot/rng';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readCheckpoint } from '../src/checkpoint.js';
import { evaluateCheckpoint } from '../src/eval-command.js';
import { loadInitialWeights } from '../src/initial-checkpoint.js';
import { buildAugmentation } from '../src/integrations/augmentation.js';
import { resnet, resnetConfigOf } from '../src/integrations/model.js';
import { main } from '../src/main.js';
import { predictImages } from '../src/predict.js';
import { resolveConfig } from '../src/resolve.js';
import { type TrainResult, train } from '../src/train.js';
import { capture, tempDir, tinyConfig } from './helpers.js';

const quiet = { write: () => undefined, tty: false };
/** The tiny model's architecture, as flags for a bare .safetensors file. */
const ARCH = [
  '--depth',
  '18',
  '--variant',
  'D',
  '--width',
  '0.0625',
  '--stem',
  'cifar',
  '--input-size',
  '16',
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** A finished 4-class run with its export: the "timm checkpoint" of these tests (timm key names). */
async function sourceRun(dir: string): Promise<TrainResult> {
  return train(tinyConfig(dir, { runName: 'source', syntheticClasses: 4, epochs: 2, export: true }), quiet);
}

/** The source run's synthetic ImageFolder (train/ and val/), written under <runs>/.cache. */
function cacheFolder(dir: string): string {
  const cache = join(dir, '.cache');
  return join(cache, readdirSync(cache).find((n) => n.startsWith('synthetic-c4'))!);
}

describe('fine-tuning, evaluation and prediction from exports and safetensors', () => {
  it('exports hold classes.json and preprocess.json; the logs hold summary.csv, best.ckpt and a marked report', async () => {
    const dir = tempDir('export');
    const source = await sourceRun(dir);
    const exported = source.exported!;
    expect(JSON.parse(readFileSync(exported.classes, 'utf8'))).toHaveLength(4);
    expect(JSON.parse(readFileSync(exported.preprocess, 'utf8'))).toMatchObject({
      inputSize: 16,
      resize: 16,
      crop: 16,
      layout: 'hwc',
      channels: 3,
      mean: [123.675, 116.28, 103.53],
      std: [58.395, 57.12, 57.375],
      architecture: { depth: 18, variant: 'D', width: 0.0625, stem: 'cifar' },
    });
    const csv = readFileSync(join(source.run, 'summary.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('epoch,train_loss,eval_loss,eval_top1,eval_top5,lr');
    expect(csv).toHaveLength(3);
    expect(Number(csv[2]!.split(',')[3])).toBeCloseTo(100 * source.epochs[1]!.top1, 9);
    // best.ckpt is the checkpoint of the epoch with the best top-1.
    const best = await readCheckpoint(join(source.run, 'checkpoints', 'best.ckpt'));
    const bestEpoch = source.epochs.reduce((b, e) => (e.top1 > b.top1 ? e : b));
    expect(best.state.epoch).toBe(bestEpoch.epoch);
    const html = readFileSync(source.report, 'utf8');
    expect(html).toMatch(/<th>backend<\/th><td[^>]*>cpu<\/td>/);
    expect(html).toMatch(/<th>replicas<\/th><td[^>]*>1 \(this thread, cpu\)<\/td>/);
    // The accuracy series have one point per epoch: each is marked.
    expect((html.match(/<circle /g) ?? []).length).toBeGreaterThanOrEqual(2 * 2);
    source.model.dispose();
  }, 90_000);

  it('--initial-checkpoint: from timm-keyed safetensors with other classes (fc re-initialised, reported), or a .ckpt', async () => {
    const dir = tempDir('finetune');
    const source = await sourceRun(dir);
    const lines: string[] = [];
    const tuned = await train(
      tinyConfig(dir, { runName: 'tuned', epochs: 1, initialCheckpoint: source.exported!.safetensors }),
      { write: (l) => lines.push(l), tty: false },
    );
    expect(lines.join('\n')).toMatch(
      /initial checkpoint: .*model\.safetensors: loaded \d+ key\(s\); skipped fc\.weight, fc\.bias \(the file's classifier predicts 4 classes, the data has 3: fc re-initialised\)/,
    );
    const report = JSON.parse(readFileSync(join(tuned.run, 'initial-checkpoint.json'), 'utf8'));
    expect(report.skipped).toEqual(['fc.weight', 'fc.bias']);
    expect(report.loaded).toContain('conv1.0.weight');
    expect(report.loaded).toContain('layer4.1.bn2.running_var');
    // The loaded weights are the source's: every weight but the classifier.
    const config = tinyConfig(dir, { initialCheckpoint: source.exported!.safetensors });
    const model = resnet(resnetConfigOf(config, 3, 3));
    await loadInitialWeights(model, resnetConfigOf(config, 3, 3), config, () => undefined);
    const sourceWeights = source.model.weights.map((w) => w.read().dataSync());
    const mine = model.weights.map((w) => w.read().dataSync());
    const classifier = model.weights
      .map((_, i) => i)
      .filter((i) => mine[i]!.length !== sourceWeights[i]!.length);
    expect(classifier.map((i) => model.weights[i]!.shape)).toEqual([[32, 3], [3]]);
    for (const [i, w] of mine.entries()) {
      if (!classifier.includes(i)) expect(Array.from(w)).toEqual(Array.from(sourceWeights[i]!));
    }
    // A bot-train checkpoint of the same classes: everything loads.
    const lines2: string[] = [];
    const again = await train(
      tinyConfig(dir, {
        runName: 'again',
        syntheticClasses: 4,
        epochs: 1,
        initialCheckpoint: source.checkpoint,
      }),
      { write: (l) => lines2.push(l), tty: false },
    );
    expect(lines2.join('\n')).toMatch(/initial checkpoint: .*last\.ckpt: loaded \d+ key\(s\)$/m);
    await expect(
      train(
        tinyConfig(dir, { runName: 'bad', width: 1 / 8, initialCheckpoint: source.exported!.safetensors }),
        quiet,
      ),
    ).rejects.toThrow(/does not fit ResNet-18-D width 0\.125 .*set --model\/--depth\/--variant\/--width/);
    for (const m of [source.model, tuned.model, again.model, model]) m.dispose();
  }, 120_000);

  it("eval takes a .safetensors file (architecture from flags) and gives the checkpoint's figures; predict prints top-k", async () => {
    const dir = tempDir('eval-predict');
    const source = await sourceRun(dir);
    const data = cacheFolder(dir);
    const bare = join(tempDir('bare'), 'resnet18d.safetensors');
    copyFileSync(source.exported!.safetensors, bare);
    const fromCkpt = await evaluateCheckpoint(source.run, { data, backend: 'cpu' });
    const arch = { depth: 18, variant: 'D', width: 0.0625, stem: 'cifar', inputSize: 16 } as const;
    const fromSt = await evaluateCheckpoint(bare, { data, backend: 'cpu', architecture: arch });
    expect(fromSt).toEqual(fromCkpt);
    const { out, err } = capture();
    expect(await main(['eval', bare, '--data', data, '--backend', 'cpu', ...ARCH])).toBe(0);
    expect(out.join('\n')).toMatch(/top-1 [\d.]+%\s+top-5 [\d.]+%/);
    expect(await main(['eval', bare, '--data', data, '--backend', 'cpu'])).toBe(1);
    expect(err.join('\n')).toMatch(/does not fit ResNet-50-A .*pass --model/);

    // predict on an export folder: class names from classes.json, probabilities from the softmax.
    const images = join(data, 'val');
    const classes = JSON.parse(readFileSync(source.exported!.classes, 'utf8')) as string[];
    const result = await predictImages(join(source.run, 'export'), [images], { top: 4, backend: 'cpu' });
    expect(result.predictions).toHaveLength(4 * 4);
    for (const p of result.predictions) {
      expect(p.top.map((t) => t.class).sort()).toEqual([...classes].sort());
      expect(p.top.reduce((s, t) => s + t.probability, 0)).toBeCloseTo(1, 5);
      for (let i = 1; i < p.top.length; i++)
        expect(p.top[i]!.probability).toBeLessThanOrEqual(p.top[i - 1]!.probability);
    }
    // The top class agrees with the model's own prediction on the same image: accuracy matches eval's.
    const hits = result.predictions.filter((p) => p.image.includes(`/${p.top[0]!.class}/`)).length;
    expect(hits / result.predictions.length).toBeCloseTo(fromCkpt.top1, 9);
    out.length = 0;
    const one = join(images, classes[0]!, readdirSync(join(images, classes[0]!))[0]!);
    expect(await main(['predict', bare, one, '-k', '2', '--json', '--backend', 'cpu', ...ARCH])).toBe(0);
    const json = JSON.parse(out.join('\n'));
    expect(json.predictions[0].image).toBe(one);
    expect(json.predictions[0].top).toHaveLength(2);
    // No classes.json beside a bare file: the classes are numbered.
    expect(json.predictions[0].top[0].class).toMatch(/^class \d$/);
    out.length = 0;
    expect(await main(['predict', source.run, one, '--backend', 'cpu'])).toBe(0);
    expect(out[0]).toBe(one);
    expect(out[1]).toMatch(/^\s+[\d.]+%\s+\S+/);
    source.model.dispose();
  }, 120_000);

  it('the closing "next:" lines are commands that run as shown', async () => {
    const dir = tempDir('next');
    const { out } = capture();
    const args = [
      '--data',
      'synthetic',
      '--synthetic-classes',
      '3',
      '--synthetic-per-class',
      '4',
      '--synthetic-size',
      '16',
    ];
    const tiny = [
      ...args,
      '--input-size',
      '16',
      '--width',
      '0.0625',
      '-b',
      '4',
      '--epochs',
      '1',
      '--backend',
      'cpu',
    ];
    expect(await main([...tiny, '--replicas', '1', '--runs-dir', dir, '--no-export'])).toBe(0);
    const next = out.slice(out.findIndex((l) => l.startsWith('next: ')));
    // Each line is a shell command (a # comment after it): what precedes the # runs as shown.
    const commands = next.map((l) =>
      l
        .replace(/^next: /, '')
        .replace(/#.*$/, '')
        .trim()
        .split(/\s+/),
    );
    expect(commands.map((c) => c.slice(0, 3))).toEqual([
      ['npx', 'bot-train', 'eval'],
      ['npx', 'bot-train', '--config'],
      ['npx', 'bot-train', 'recipes'],
    ]);
    for (const command of commands) {
      out.length = 0;
      expect(await main(command.slice(2))).toBe(0);
    }
    const dirs = readdirSync(dir).filter((n) => n.startsWith('demo-'));
    expect(dirs).toHaveLength(2);
    const longer = JSON.parse(readFileSync(join(dir, dirs.sort()[1]!, 'config.json'), 'utf8'));
    expect(longer).toMatchObject({ epochs: 2, width: 0.0625, inputSize: 16 });
  }, 90_000);
});

describe('augmentation from the command line', () => {
  it("--aug auto follows the image size and says so; --scale/--ratio reach RandomResizedCrop; 'none' trains on the val transform", async () => {
    const small = buildAugmentation(resolveConfig({ data: 'x', inputSize: 28 }));
    expect(small.description).toMatch(
      /^small \(auto: 28 px images, <= 64\): pad 4 and random crop 28, flip 0\.5/,
    );
    const big = buildAugmentation(
      resolveConfig({ data: 'x', inputSize: 96, scale: [0.3, 1], ratio: [0.5, 2] }),
    );
    expect(big.description).toMatch(
      /^imagenet \(auto: 96 px images, > 64\): RandomResizedCrop\(96, scale 0\.3-1, ratio 0\.50-2\.00\)/,
    );
    const crop = big.train.transforms.find((t) => t.name === 'RandomResizedCrop') as unknown as {
      options: { scale: number[]; ratio: number[] };
    };
    expect(crop.options).toMatchObject({ scale: [0.3, 1], ratio: [0.5, 2] });
    expect(buildAugmentation(resolveConfig({ data: 'x', inputSize: 28, aug: 'imagenet' })).recipe).toBe(
      'imagenet',
    );
    const image = {
      data: Float32Array.from({ length: 20 * 24 * 3 }, (_, i) => (i * 37) % 256),
      shape: [20, 24, 3] as [number, number, number],
      layout: 'hwc' as const,
    };
    const none = buildAugmentation(resolveConfig({ data: 'x', inputSize: 16, aug: 'none' }));
    const a = await none.train.apply(image, Rng.from(1));
    const b = await none.val.apply(image, Rng.from(2));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const noFlip = buildAugmentation(resolveConfig({ data: 'x', inputSize: 16, hflip: 0 }));
    expect(noFlip.train.transforms.find((t) => t.name === 'RandomHorizontalFlip')).toMatchObject({ p: 0 });
  });

  it('the run prints the augmentation it chose', async () => {
    const dir = tempDir('aug-line');
    mkdirSync(dir, { recursive: true });
    const lines: string[] = [];
    const result = await train(tinyConfig(dir, { epochs: 1, trainLimit: 4 }), {
      write: (l) => lines.push(l),
      tty: false,
    });
    expect(lines).toContain(
      'augmentation: small (auto: 16 px images, <= 64): pad 2 and random crop 16, flip 0.5',
    );
    result.model.dispose();
  }, 60_000);
});
