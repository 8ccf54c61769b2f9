import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main.js';
import { resolveConfig } from '../src/resolve.js';
import { version } from '../src/version.js';
import { capture, tempDir } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

async function printConfig(args: string[]) {
  const { out, err } = capture();
  const code = await main(['print-config', ...args]);
  vi.restoreAllMocks();
  if (code !== 0) throw new Error(`exit ${code}: ${err.join('\n')}`);
  return JSON.parse(out.join(''));
}

describe("timm's and torchvision's flags", () => {
  it('-b, -j, --amp, --model, --output, --smoothing, --smoothing-form, --cutmix, --clip-grad', async () => {
    const config = await printConfig([
      '-b',
      '128',
      '-j',
      '3',
      '--amp',
      '--model',
      'resnet50d',
      '--output',
      'elsewhere',
      '--smoothing',
      '0.2',
      '--smoothing-form',
      'paper',
      '--cutmix',
      '1.0',
      '--clip-grad',
      '5',
      '--replicas',
      '2',
    ]);
    expect(config).toMatchObject({
      batchSize: 128,
      workers: 3,
      fp16: true,
      depth: 50,
      variant: 'D',
      runsDir: 'elsewhere',
      labelSmoothing: 0.2,
      smoothingForm: 'paper',
      cutmixAlpha: 1,
      clipGrad: 5,
      replicas: 2,
    });
    expect((await printConfig(['--model', 'resnet101'])).variant).toBe('A');
    const { err } = capture();
    expect(await main(['print-config', '--model', 'vit_base'])).toBe(2);
    expect(err.join('\n')).toMatch(
      /model = "vit_base" \(flags\): not a ResNet name; use resnet<depth>\[a\|b\|c\|d\]/,
    );
  });

  it("--lr-base is the rate per 256 images: --batch-size applies the paper's linear scaling", async () => {
    expect((await printConfig(['--lr-base', '0.1', '-b', '1024'])).lr).toBeCloseTo(0.4, 12);
    expect((await printConfig(['--lr-base', '0.1', '--batch-size', '64'])).lr).toBeCloseTo(0.025, 12);
    const { err } = capture();
    expect(await main(['print-config', '--lr-base', '0.1', '--lr', '0.3'])).toBe(2);
    expect(err.join('\n')).toMatch(/give one of --lr .* and --lr-base/);
  });

  it('--scale, --ratio (timm: two numbers), --hflip, --color-jitter, --pca-noise, --interpolation, --aug', async () => {
    const config = await printConfig([
      '--scale',
      '0.35',
      '1',
      '--ratio',
      '0.8,1.25',
      '--hflip',
      '0',
      '--color-jitter',
      '0.2',
      '--pca-noise',
      '0',
      '--interpolation',
      'bilinear-pil',
      '--aug',
      'imagenet',
    ]);
    expect(config).toMatchObject({
      scale: [0.35, 1],
      ratio: [0.8, 1.25],
      hflip: 0,
      colorJitter: 0.2,
      pcaNoise: 0,
      interpolation: 'bilinear-pil',
      aug: 'imagenet',
    });
    const { err } = capture();
    expect(await main(['print-config', '--scale', '0.9', '0.2'])).toBe(2);
    expect(err.join('\n')).toMatch(/scale = \[0\.9,0\.2\]: must be \[min, max\] with min <= max/);
    expect(await main(['print-config', '--aug', 'heavy'])).toBe(2);
    expect(err.join('\n')).toMatch(/aug = "heavy": .*"imagenet".*"small".*"none"/);
  });

  it('accepts webgpu (and every backend @bot/backend lists) as --backend', async () => {
    expect((await printConfig(['--backend', 'webgpu'])).backend).toBe('webgpu');
    const { err } = capture();
    expect(await main(['print-config', '--backend', 'tpu'])).toBe(2);
    expect(err.join('\n')).toMatch(/backend = "tpu": .*"auto".*"webgpu".*"wasm"/);
  });
});

describe('--help and --version', () => {
  it('--help groups the flags by section and shows each default from the preset', async () => {
    const { out } = capture();
    expect(await main(['train', '--help'])).toBe(0);
    const help = out.join('');
    const sections = [
      'Data:',
      'Model:',
      'Augmentation:',
      'Optimization:',
      'Regularization and distillation:',
      'Precision:',
      'Run:',
    ];
    const at = sections.map((s) => help.indexOf(`\n${s}\n`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(help).toMatch(/--epochs <n>\s+training epochs \(demo: 4\)/);
    expect(help.slice(at[2]!, at[3]!)).toMatch(/--scale/);
    expect(help.slice(at[5]!, at[6]!)).toMatch(/--amp\s+alias of --fp16/);
    out.length = 0;
    expect(await main(['train', '--preset', 'baseline', '--help'])).toBe(0);
    expect(out.join('')).toMatch(/--epochs <n>\s+training epochs \(baseline: 120\)/);
  });

  it('--version prints the version of the package', async () => {
    const { out } = capture();
    expect(await main(['--version'])).toBe(0);
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(out.join('').trim()).toBe(manifest.version);
    expect(version()).toBe(manifest.version);
  });
});

describe('config files', () => {
  it('reads YAML and JSON, with camelCase or snake_case keys (and timm names); flags win', async () => {
    const dir = tempDir('config-files');
    const yaml = join(dir, 'run.yaml');
    writeFileSync(
      yaml,
      [
        '# a timm-style file',
        'model: resnet34',
        'batch_size: 32',
        'lr_base: 0.2',
        'smoothing: 0.05',
        'warmup-epochs: 1',
        'scale: [0.2, 1.0]',
      ].join('\n'),
    );
    const config = await printConfig(['--config', yaml, '--epochs', '9']);
    expect(config).toMatchObject({
      depth: 34,
      variant: 'A',
      batchSize: 32,
      labelSmoothing: 0.05,
      warmupEpochs: 1,
      scale: [0.2, 1],
      epochs: 9,
    });
    expect(config.lr).toBeCloseTo(0.025, 12);
    const json = join(dir, 'run.json');
    writeFileSync(json, JSON.stringify({ weightDecay: 0.001, no_bias_decay: false, milestones: [1, 2] }));
    expect(await printConfig(['--config', json, '--weight-decay', '0.002'])).toMatchObject({
      weightDecay: 0.002,
      noBiasDecay: false,
      milestones: [1, 2],
    });
    writeFileSync(yaml, 'epochs: [unclosed');
    const { err } = capture();
    expect(await main(['print-config', '--config', yaml])).toBe(2);
    expect(err.join('\n')).toMatch(/is not valid YAML/);
    writeFileSync(yaml, '- just\n- a list\n');
    expect(await main(['print-config', '--config', yaml])).toBe(2);
    expect(err.join('\n')).toMatch(/must hold an object \(a mapping\) of config fields/);
  });

  it('a run folder saved before the smoothing rename still resumes: its smoothing string is smoothingForm', () => {
    const config = resolveConfig({}, { smoothing: 'paper' } as never);
    expect(config.smoothingForm).toBe('paper');
  });
});

describe('the bin shim', () => {
  it('is committed, is what package.json links, and runs the built CLI', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const shim = new URL(`../${manifest.bin['bot-train']}`, import.meta.url);
    expect(existsSync(shim)).toBe(true);
    expect(readFileSync(shim, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    // The CLI is built by `npm test` (turbo: build before test); the shim imports it.
    const result = spawnSync(process.execPath, [shim.pathname, 'recipes'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^baseline\s+ResNet-50/m);
    expect(result.stdout).toMatch(/^demo\s+/m);
  }, 60_000);
});
