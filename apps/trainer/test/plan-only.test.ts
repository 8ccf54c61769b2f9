import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ablate } from '../src/ablate.js';
import { main } from '../src/main.js';
import { capture, tempDir } from './helpers.js';

/** A refinements study at a size where planning (it writes the synthetic sets) takes a moment. */
const tiny = {
  data: 'synthetic',
  syntheticClasses: 3,
  syntheticPerClass: 4,
  syntheticSize: 16,
  inputSize: 16,
  width: 0.0625,
  epochs: 2,
  batchSize: 4,
  backend: 'cpu',
} as const;

interface PlanEntry {
  name: string;
  row: string;
  seed: number;
  role: string | null;
  config: string;
  teacherRun: string | null;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('bot-train ablate --plan-only', () => {
  it("writes every run's resolved config and the plan, trains nothing, and tables the runs finished elsewhere", async () => {
    const folder = join(tempDir('plan-only'), 'study');
    const lines: string[] = [];
    const options = { study: 'refinements', seeds: [0, 1], jobs: 2, overrides: tiny, folder, planOnly: true };
    const first = await ablate({ ...options, write: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(
      /plan only: 11 run configs in .*configs, the plan in .*plan\.json; nothing trained/,
    );
    const plan = JSON.parse(readFileSync(join(folder, 'plan.json'), 'utf8')) as PlanEntry[];
    expect(plan.map((p) => p.name)).toEqual([
      'teacher-s0',
      ...['efficient', '+cosine', '+label-smoothing', '+distill', '+mixup'].flatMap((row) => `${row}-s0`),
      ...['efficient', '+cosine', '+label-smoothing', '+distill', '+mixup'].flatMap((row) => `${row}-s1`),
    ]);
    expect(plan.find((p) => p.name === '+distill-s1')).toMatchObject({
      row: '+distill',
      seed: 1,
      role: 'student',
      teacherRun: 'teacher-s0',
    });
    for (const entry of plan) {
      const config = JSON.parse(readFileSync(join(folder, entry.config), 'utf8'));
      expect(config).toMatchObject({ ...tiny, seed: entry.seed, runName: entry.name, runsDir: folder });
      if (entry.role === 'student') {
        expect(config.teacher).toBe(join(folder, 'teacher-s0', 'checkpoints', 'last.ckpt'));
      } else expect(config.teacher).toBeNull();
      // Nothing was trained: no run folder, no log.
      expect(existsSync(join(folder, entry.name))).toBe(false);
    }
    expect(readdirSync(join(folder, 'logs'))).toEqual([]);
    expect(first.table.complete).toBe(false);

    // Another trainer (tools/reference/train.py) finishes every run in our format: the table follows.
    plan.forEach((entry, i) => {
      mkdirSync(join(folder, entry.name), { recursive: true });
      const records = [1, 2].map((epoch) => ({
        type: 'epoch',
        epoch,
        step: epoch * 3,
        trainLoss: 1,
        top1: epoch === 2 ? 0.5 + i / 100 : 0.1,
        top5: 1,
        valLoss: 1,
        seconds: 2,
        imagesPerSecond: 6,
        lr: 0.1,
        skippedSamples: 0,
        time: '2026-11-30T00:00:00.000Z',
      }));
      writeFileSync(
        join(folder, entry.name, 'metrics.jsonl'),
        records.map((r) => `${JSON.stringify(r)}\n`).join(''),
      );
    });
    const second = await ablate({ ...options, write: () => undefined });
    expect(second.table.complete).toBe(true);
    const cosine = second.table.rows.find((r) => r.label === '+cosine')!;
    const index = (name: string) => plan.findIndex((p) => p.name === name);
    expect(cosine.runs.map((r) => r.top1)).toEqual([
      0.5 + index('+cosine-s0') / 100,
      0.5 + index('+cosine-s1') / 100,
    ]);
    expect(readFileSync(join(folder, 'results.md'), 'utf8')).toMatch(/\| \+cosine \| 5\d\.\d\d ± 3\.54 \|/);
    expect(readdirSync(join(folder, 'logs'))).toEqual([]);
  }, 120_000);

  it('is refused with --queue, naming the flag', async () => {
    const { err } = capture();
    const code = await main([
      'ablate',
      '--study',
      'refinements',
      '--plan-only',
      '--queue',
      'redis://127.0.0.1:1',
      '--runs-dir',
      tempDir('plan-only-queue'),
    ]);
    expect(code).toBe(2);
    expect(err.join('')).toMatch(/planOnly = true: .*leave out --queue/);
  });
});
