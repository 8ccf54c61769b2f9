import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ablate, planStudy } from '../src/ablate.js';
import { findStudy, STUDIES } from '../src/studies.js';
import { type StudyTable, stat } from '../src/study-table.js';
import { cli, runCli, tempDir } from './helpers.js';
import { accuracies, tinyFlags, tinyOverrides } from './tiny-study.js';

describe('planStudy', () => {
  it('shrinks each preset by the study scale: epochs, milestones, warmup, batch, lr', () => {
    const refinements = planStudy(findStudy('refinements')!, [0, 1, 2], 'study');
    const byName = new Map(refinements.map((r) => [r.name, r.config]));
    // 120 paper epochs -> 4; mixup's 200 -> 7 (rounded 6.67); milestones 30/60/90 -> 1/2/3; warmup 5 -> 1/6.
    expect(byName.get('efficient-s0')).toMatchObject({
      epochs: 4,
      milestones: [1, 2, 3],
      batchSize: 256,
      lr: 0.4,
    });
    expect(byName.get('efficient-s0')!.warmupEpochs).toBeCloseTo(5 / 30, 12);
    expect(byName.get('+mixup-s2')).toMatchObject({
      epochs: 7,
      mixupAlpha: 0.2,
      schedule: 'cosine',
      seed: 2,
    });
    expect(byName.get('+label-smoothing-s1')).toMatchObject({ labelSmoothing: 0.1, data: 'fashion-mnist' });

    const tweaks = planStudy(findStudy('model-tweaks')!, [0], 'study');
    expect(tweaks.map((r) => r.config.variant)).toEqual(['A', 'B', 'C', 'D']);
    expect(tweaks[0]!.config).toMatchObject({ epochs: 8, milestones: [2, 4, 6], batchSize: 128, lr: 0.2 });

    const large = planStudy(findStudy('efficient-training')!, [0], 'study');
    expect(large.map((r) => [r.config.batchSize, r.config.lr])).toEqual([
      [64, 0.1],
      [256, 0.4],
      [256, 0.4],
      [256, 0.4],
      [256, 0.4],
      [256, 0.4],
    ]);
    // Each rung turns one more trick on.
    expect(
      large.map((r) => [r.config.warmupEpochs > 0, r.config.zeroGamma, r.config.noBiasDecay, r.config.fp16]),
    ).toEqual([
      [false, false, false, false],
      [false, false, false, false],
      [true, false, false, false],
      [true, true, false, false],
      [true, true, true, false],
      [true, true, true, true],
    ]);
  });

  it('trains the teacher first, once, and points every distilling run at its checkpoint', () => {
    const runs = planStudy(findStudy('refinements')!, [3, 4, 5], 'study');
    expect(runs[0]!.name).toBe('teacher-s3');
    expect(runs.filter((r) => r.arm.role === 'teacher')).toHaveLength(1);
    const students = runs.filter((r) => r.config.teacher !== null);
    expect(students.map((r) => r.name)).toEqual(['+distill-s3', '+distill-s4', '+distill-s5']);
    for (const s of students) {
      expect(s.config.teacher).toBe(join('study', 'teacher-s3', 'checkpoints', 'last.ckpt'));
      expect(s.teacherRun).toBe('teacher-s3');
    }
    for (const study of STUDIES) expect(planStudy(study, [0, 1, 2], 'x').length).toBeGreaterThanOrEqual(12);
  });

  it('refuses to override what the study sets per run, and bad seeds', () => {
    const study = findStudy('model-tweaks')!;
    expect(() => planStudy(study, [0], 'x', { seed: 3 })).toThrow(/seed = 3: ablate sets preset, seed/);
    expect(() => planStudy(study, [0], 'x', { preset: 'baseline' })).toThrow(/preset = "baseline"/);
    expect(() => planStudy(study, [], 'x')).toThrow(/seeds = \[\]/);
    expect(() => planStudy(study, [1, 1], 'x')).toThrow(/must not repeat/);
    expect(() => planStudy(study, [0], 'x', { epochs: -1 })).toThrow(/epochs = -1/);
  });
});

describe('stat', () => {
  it('is the mean and the sample standard deviation', () => {
    const s = stat([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 14);
    expect(stat([0.7]).std).toBeNaN();
  });
});

describe('bot-train ablate', () => {
  it('runs a study, and an interrupted + resumed one reproduces the straight table exactly', async () => {
    const dir = tempDir('ablate');
    const lines: string[] = [];
    const straight = await ablate({
      study: 'refinements',
      seeds: [0, 1],
      jobs: 2,
      overrides: tinyOverrides,
      folder: join(dir, 'straight'),
      cli,
      write: (l) => lines.push(l),
    });
    expect(straight.failed).toEqual([]);
    expect(straight.table.complete).toBe(true);
    expect(straight.table.rows.map((r) => r.label)).toEqual([
      'efficient',
      '+cosine',
      '+label-smoothing',
      '+distill',
      '+mixup',
    ]);
    for (const row of straight.table.rows) {
      expect(row.runs.map((r) => r.seed)).toEqual([0, 1]);
      expect(row.top1.mean).toBeCloseTo((row.runs[0]!.top1 + row.runs[1]!.top1) / 2, 12);
    }
    const plus = straight.table.rows[4]!;
    expect(plus.comparedTo).toBe('+label-smoothing');
    expect(plus.deltaTop1).toBeCloseTo(plus.top1.mean - straight.table.rows[2]!.top1.mean, 12);
    const folder = join(dir, 'straight');
    for (const file of ['results.md', 'results.json', 'top1.svg', 'top1.png', 'curves.svg', 'curves.png']) {
      expect(existsSync(join(folder, file)), file).toBe(true);
    }
    // The distilling runs really loaded the study's teacher.
    expect(readFileSync(join(folder, 'logs', '+distill-s1.log'), 'utf8')).toMatch(/teacher: .*teacher-s0/);
    expect(readFileSync(join(folder, 'results.md'), 'utf8')).toMatch(
      /\| \+mixup \| .* \(vs \+label-smoothing\)/,
    );
    expect(readFileSync(join(folder, 'results.md'), 'utf8')).toMatch(
      /Changed for every run: data="synthetic", .*width=0\.0625/,
    );

    // The same study again, stopped with Ctrl-C after its third run started, then resumed with 1 job.
    const args = [
      'ablate',
      '--study',
      'refinements',
      '--seeds',
      '0,1',
      '--runs-dir',
      dir,
      '--name',
      'resumed',
      ...tinyFlags,
    ];
    // Ctrl-C once the third run has taken its first step, so that it stops mid-epoch with a checkpoint.
    let sent = false;
    const first = await runCli(args, dir, (line, kill) => {
      const third = /^\[3\/11\] start (\S+)/.exec(line);
      if (sent || !third) return;
      sent = true;
      const log = join(dir, 'resumed', 'logs', `${third[1]}.log`);
      const poll = setInterval(() => {
        if (existsSync(log) && readFileSync(log, 'utf8').includes('epoch 1/2 step 1/')) {
          clearInterval(poll);
          kill();
        }
      }, 20);
    });
    expect(first.out).toMatch(/interrupted: \d+ of 11 runs done; run the same command again to resume/);
    expect(first.code).toBe(130);
    const second = await runCli([...args, '--jobs', '1'], dir);
    expect(second.out).toMatch(/start \S+ \(resuming\)/);
    expect(second.out).toMatch(/table: .*results\.md \(11 of 11 runs done\)/);
    expect(second.code).toBe(0);
    const resumed = JSON.parse(readFileSync(join(dir, 'resumed', 'results.json'), 'utf8')) as StudyTable;
    expect(accuracies(resumed)).toEqual(accuracies(straight.table));
    expect(Object.keys(accuracies(resumed))).toHaveLength(11);

    // A third start finds every run finished and only rewrites the table.
    const third = await runCli(args, dir);
    expect(third.out).toMatch(/11 already done/);
    expect(third.code).toBe(0);
  }, 240_000);

  it('names a bad study, a bad seed list and a folder that holds another study (exit 2)', async () => {
    const dir = tempDir('ablate-errors');
    const unknown = await runCli(['ablate', '--study', 'nope', '--runs-dir', dir], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.out).toMatch(
      /study = "nope": unknown study; allowed: model-tweaks, refinements, efficient-training/,
    );
    const seeds = await runCli(
      ['ablate', '--study', 'model-tweaks', '--seeds', '0,x', '--runs-dir', dir],
      dir,
    );
    expect(seeds.code).toBe(2);
    expect(seeds.out).toMatch(/seeds = "0,x": must be comma-separated non-negative integers/);
    const owned = await runCli(['ablate', '--study', 'model-tweaks', '--seed', '4', '--runs-dir', dir], dir);
    expect(owned.code).toBe(2);
    expect(owned.out).toMatch(/seed = 4: ablate sets/);
    const list = await runCli(['ablate', '--list'], dir);
    expect(list.out).toMatch(/efficient-training\s+large batch/);

    const small = await runCli(['ablate', '--study', 'model-tweaks', '--runs-dir', dir, ...tinyFlags], dir);
    expect(small.code).toBe(2);
    expect(small.out).toMatch(/inputSize 16 is too small for the downsampling of stem 'imagenet'/);
    expect(existsSync(join(dir, 'ablate-model-tweaks'))).toBe(false);

    const base = ['ablate', '--study', 'model-tweaks', '--runs-dir', dir, '--name', 's', ...tinyFlags];
    base.push('--epochs', '1', '--input-size', '32', '--synthetic-size', '32');
    const a = await runCli([...base, '--seeds', '0', '--jobs', '2'], dir);
    expect(a.code, a.out).toBe(0);
    const b = await runCli([...base, '--seeds', '0,1'], dir);
    expect(b.code).toBe(2);
    expect(b.out).toMatch(/holds another study/);
  }, 240_000);
});
