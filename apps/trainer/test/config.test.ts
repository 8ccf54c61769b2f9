import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { main } from '../src/main.js';
import { PRESETS } from '../src/presets.js';
import { resolveConfig } from '../src/resolve.js';
import { capture, tempDir } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('resolveConfig', () => {
  it('defaults to the demo preset and lets a config file and flags override it, flags last', () => {
    const config = resolveConfig({ lr: 0.3 }, { lr: 0.2, epochs: 7 });
    expect(config.preset).toBe('demo');
    expect(config.data).toBe('fashion-mnist');
    expect(config.epochs).toBe(7);
    expect(config.lr).toBe(0.3);
  });

  it("encodes the paper's rows: baseline, efficient and the refinements", () => {
    const row = (name: string) =>
      resolveConfig({
        preset: name,
        data: '/imagenet',
        ...(name.includes('distill') ? { teacher: 't.ckpt' } : {}),
      });
    expect(row('baseline')).toMatchObject({
      depth: 50,
      variant: 'A',
      batchSize: 256,
      lr: 0.1,
      milestones: [30, 60, 90],
      epochs: 120,
      fp16: false,
      nesterov: true,
      weightDecay: 1e-4,
    });
    expect(row('efficient')).toMatchObject({
      batchSize: 1024,
      lr: 0.4,
      warmupEpochs: 5,
      zeroGamma: true,
      noBiasDecay: true,
      fp16: true,
    });
    expect(row('resnet50-d').variant).toBe('D');
    expect(row('+cosine').schedule).toBe('cosine');
    expect(row('+label-smoothing').labelSmoothing).toBe(0.1);
    expect(row('+mixup')).toMatchObject({ mixupAlpha: 0.2, epochs: 200, teacher: null });
    expect(row('+mixup+distill')).toMatchObject({ mixupAlpha: 0.2, distillTemperature: 20 });
    // lr 0.4 = 0.1 x 1024 / 256: the linear scaling rule.
    expect(row('efficient').lr).toBeCloseTo((0.1 * row('efficient').batchSize) / 256, 12);
  });

  it('names the field, the value and what is allowed', () => {
    expect(() => resolveConfig({ variant: 'E' as never })).toThrow(ConfigError);
    expect(() => resolveConfig({ variant: 'E' as never })).toThrow(/variant = "E".*"A".*"B".*"C".*"D"/);
    expect(() => resolveConfig({ batchSize: 10, accumulate: 3 })).toThrow(
      /accumulate = 3: must divide batchSize \(10\)/,
    );
    expect(() => resolveConfig({ preset: 'resnet51' })).toThrow(
      /preset = "resnet51": unknown preset; allowed: baseline, efficient/,
    );
    expect(() => resolveConfig({ preset: 'baseline' })).toThrow(/data = "".*--data/s);
    expect(() => resolveConfig({ preset: '+distill', data: '/imagenet' })).toThrow(
      /teacher = null: .*--teacher/,
    );
    expect(() => resolveConfig({}, { learningRate: 0.1 } as never)).toThrow(
      /unknown field\(s\) "learningRate"/,
    );
  });
});

describe('bot-train command line', () => {
  it('exits 2 with a message naming field, value and rule for a bad flag value', async () => {
    const { err } = capture();
    expect(await main(['--lr', 'fast'])).toBe(2);
    expect(err.join('\n')).toMatch(/lr = "fast": .*expected number/);
    err.length = 0;
    expect(await main(['train', '--label-smoothing', '1.5'])).toBe(2);
    expect(err.join('\n')).toMatch(/labelSmoothing = 1\.5: .*<1/);
    err.length = 0;
    expect(await main(['--depth', '20'])).toBe(2);
    expect(err.join('\n')).toMatch(/depth = 20: must be one of 18, 34, 50, 101, 152/);
  });

  it('exits 2 for an unknown flag and for a bad config file', async () => {
    const { err } = capture();
    expect(await main(['--learning-rate', '0.1'])).toBe(2);
    expect(err.join('')).toMatch(/unknown option '--learning-rate'/);
    const dir = tempDir('config');
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ epochs: -1 }));
    expect(await main(['print-config', '--config', file])).toBe(2);
    expect(err.join('\n')).toMatch(/epochs = -1/);
    writeFileSync(file, '{ not json');
    expect(await main(['print-config', '--config', file])).toBe(2);
    expect(err.join('\n')).toMatch(/not valid JSON/);
  });

  it('print-config prints the resolved config; flags, booleans, lists and none parse', async () => {
    const { out } = capture();
    const dir = tempDir('config');
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ preset: 'baseline', data: '/data/imagenet', epochs: 90 }));
    const code = await main([
      'print-config',
      '--config',
      file,
      '--milestones',
      '30,60',
      '--no-bias-decay',
      '--no-nesterov',
      '--fp16',
      '--train-limit',
      'none',
      '--width',
      '0.5',
    ]);
    expect(code).toBe(0);
    const config = JSON.parse(out.join(''));
    expect(config).toMatchObject({
      preset: 'baseline',
      data: '/data/imagenet',
      epochs: 90,
      milestones: [30, 60],
      noBiasDecay: true,
      nesterov: false,
      fp16: true,
      trainLimit: null,
      width: 0.5,
    });
  });

  it('recipes lists every preset with one line each', async () => {
    const { out } = capture();
    expect(await main(['recipes'])).toBe(0);
    const lines = out.join('\n').trim().split('\n');
    expect(lines).toHaveLength(PRESETS.length);
    for (const [i, p] of PRESETS.entries()) expect(lines[i]!.startsWith(p.name)).toBe(true);
  });
});
