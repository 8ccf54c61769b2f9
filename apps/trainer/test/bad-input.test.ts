import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSyntheticImageFolder } from '@bot/data';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main.js';
import { resolveConfig } from '../src/resolve.js';
import { train } from '../src/train.js';
import { tempDir, tinyConfig } from './helpers.js';

const quiet = { write: () => undefined, tty: false };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('bad input', () => {
  it('a missing --data folder exits 2 and leaves no run folder behind', async () => {
    const dir = tempDir('missing-data');
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args) => void err.push(args.join(' ')));
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const runs = join(dir, 'runs');
    expect(
      await main(['--data', join(dir, 'nope'), '--input-size', '16', '--backend', 'cpu', '--runs-dir', runs]),
    ).toBe(2);
    expect(err.join('\n')).toMatch(/data = ".*nope": no such folder/);
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
  });

  it('two runs started in the same second get folders of their own', async () => {
    const dir = tempDir('same-second');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-30T12:00:00.000Z'));
    const config = tinyConfig(dir, { runName: null, epochs: 1, trainLimit: 4 });
    const [a, b] = await Promise.all([train(config, quiet), train(config, quiet)]);
    expect(a.run).not.toBe(b.run);
    expect([a.run, b.run].map((r) => r.slice(dir.length + 1)).sort()).toEqual([
      'demo-2026-11-30_12-00-00',
      'demo-2026-11-30_12-00-00-2',
    ]);
    for (const r of [a, b]) {
      expect(r.epochs).toHaveLength(1);
      r.model.dispose();
    }
    // An explicit --run-name that holds a run is still refused.
    await expect(
      train(tinyConfig(dir, { runName: 'demo-2026-11-30_12-00-00', epochs: 1 }), quiet),
    ).rejects.toThrow(/already holds a run: pick another --run-name, or --resume/);
  }, 60_000);

  it('--epochs on a preset moves the fields it derives; a field the user set names the flag to change', async () => {
    // The demo preset turns mixup off for its last 3 of 4 epochs: the same share of 1 or 6 epochs, rounded.
    expect(resolveConfig({ epochs: 1 })).toMatchObject({ epochs: 1, mixupOffEpochs: 1 });
    expect(resolveConfig({ epochs: 6 })).toMatchObject({ epochs: 6, mixupOffEpochs: 5 });
    // The efficient preset's 5-epoch warmup does not fit 3 epochs: it shrinks with them.
    expect(resolveConfig({ preset: 'efficient', data: '/x', epochs: 3 }).warmupEpochs).toBeCloseTo(
      (3 * 5) / 120,
      12,
    );
    expect(() => resolveConfig({ epochs: 1, mixupOffEpochs: 2 })).toThrow(
      /mixupOffEpochs = 2: must be at most epochs \(1\); lower --mixup-off-epochs or raise --epochs/,
    );
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args) => void out.push(args.join(' ')));
    expect(await main(['print-config', '--epochs', '1'])).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ epochs: 1, mixupOffEpochs: 1 });
  });

  it('unreadable training images: skipped.jsonl names each with its reason, and the first few are printed', async () => {
    const dir = tempDir('unreadable');
    const root = join(dir, 'folder');
    await writeSyntheticImageFolder(root, { classes: 3, size: 16, seed: 1, split: { train: 4, val: 2 } });
    const broken = readdirSync(join(root, 'train')).flatMap((c) =>
      readdirSync(join(root, 'train', c))
        .slice(0, 1)
        .map((f) => join(root, 'train', c, f)),
    );
    for (const file of broken) writeFileSync(file, 'not a jpeg');
    const lines: string[] = [];
    const result = await train(tinyConfig(dir, { data: root, epochs: 1, batchSize: 2 }), {
      write: (l) => lines.push(l),
      tty: false,
    });
    const skipped = readFileSync(join(result.run, 'skipped.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(skipped.map((s) => s.path).sort()).toEqual([...broken].sort());
    for (const s of skipped) expect(s.reason).toMatch(/\w/);
    const text = lines.join('\n');
    expect(text).toMatch(/skipped 3 unreadable training image\(s\), all listed in .*skipped\.jsonl/);
    for (const file of broken) expect(text).toContain(file);
    result.model.dispose();
  }, 60_000);
});
