import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from './atomic-write.js';
import type { ConfigPatch, TrainConfig } from './config.js';
import { ConfigError, TrainerError } from './errors.js';
import { openData } from './integrations/data.js';
import { profile, resnetConfigOf } from './integrations/model.js';
import { findPreset } from './presets.js';
import { resolveConfig } from './resolve.js';
import { type EpochRecord, RunFolder } from './run-folder.js';
import { recordExit, runArguments, startRun, writeRunConfig } from './run-process.js';
import { findStudy, runNameOf, STUDIES, type Study, type StudyArm, scalePreset } from './studies.js';
import {
  overridesText,
  type RunResult,
  type StudyTable,
  studyTable,
  writeStudyResults,
} from './study-table.js';

export interface AblateOptions {
  readonly study: string;
  /** At least one; the paper-style table wants at least 3. */
  readonly seeds: readonly number[];
  /** Runs trained at once, each in its own process (one wasm core each). */
  readonly jobs: number;
  /** Config fields applied to every run of the study (after the study's scale). */
  readonly overrides?: ConfigPatch;
  /** The study folder; default <runsDir>/ablate-<study>. Running again with the same folder resumes. */
  readonly folder?: string;
  /** The `bot-train` entry point the runs are started with; default the cli.js beside this file. */
  readonly cli?: string;
  readonly write?: (line: string) => void;
  /** Aborting it (Ctrl-C) lets every running run save a checkpoint, then returns. */
  readonly signal?: AbortSignal;
  /**
   * Train nothing: write every run's resolved config (configs/<run>.json) and the plan (plan.json), then
   * the table of the runs already finished. Another trainer (tools/reference/) trains from these files.
   */
  readonly planOnly?: boolean;
}

export interface AblateResult {
  readonly folder: string;
  readonly table: StudyTable;
  readonly interrupted: boolean;
  /** Runs that exited with an error, with the log to read. */
  readonly failed: readonly { run: string; log: string }[];
}

/** One training run of a study: a row's config at one seed. */
export interface PlannedRun {
  readonly arm: StudyArm;
  readonly seed: number;
  readonly name: string;
  readonly config: TrainConfig;
  /** The run whose checkpoint this one distils from. */
  readonly teacherRun: string | null;
}

/** Fields the study itself sets for each run; an override of them would make rows incomparable. */
const OWNED_FIELDS = ['preset', 'seed', 'runName', 'runsDir', 'teacher'] as const;

function checkSeeds(seeds: readonly number[]): void {
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new ConfigError(`seeds = ${JSON.stringify(seeds)}: must be one or more non-negative integers`);
  }
  if (new Set(seeds).size !== seeds.length) {
    throw new ConfigError(`seeds = ${JSON.stringify(seeds)}: must not repeat a seed`);
  }
}

/** The runs of a study, teacher first, then seed by seed so that an early stop still compares every row. */
export function planStudy(
  study: Study,
  seeds: readonly number[],
  folder: string,
  overrides: ConfigPatch = {},
): PlannedRun[] {
  checkSeeds(seeds);
  for (const field of OWNED_FIELDS) {
    if (overrides[field] !== undefined) {
      throw new ConfigError(
        `${field} = ${JSON.stringify(overrides[field])}: ablate sets ${OWNED_FIELDS.join(', ')} itself for each run; leave it out`,
      );
    }
  }
  const teacherArm = study.arms.find((a) => a.role === 'teacher');
  const teacherRun = teacherArm ? runNameOf(teacherArm, seeds[0]!) : null;
  const plan = (arm: StudyArm, seed: number): PlannedRun => {
    const preset = findPreset(arm.preset);
    if (!preset) throw new Error(`study ${study.name}: unknown preset ${arm.preset}`);
    const name = runNameOf(arm, seed);
    const teacher =
      arm.role === 'student' && teacherRun ? new RunFolder(join(folder, teacherRun)).checkpoint : null;
    const config = resolveConfig({
      ...scalePreset(preset.config, study.scale),
      ...arm.patch,
      ...overrides,
      preset: arm.preset,
      seed,
      teacher,
      runsDir: folder,
      runName: name,
      export: false,
    });
    // A model that cannot be built (an input too small for the stem) fails here, not in every run.
    profile(resnetConfigOf(config, 10, 3));
    return { arm, seed, name, config, teacherRun: arm.role === 'student' ? teacherRun : null };
  };
  const runs: PlannedRun[] = teacherArm ? [plan(teacherArm, seeds[0]!)] : [];
  for (const seed of seeds) {
    for (const arm of study.arms) if (arm.role !== 'teacher') runs.push(plan(arm, seed));
  }
  return runs;
}

function epochRecords(run: PlannedRun, folder: string): EpochRecord[] {
  return new RunFolder(join(folder, run.name))
    .readMetrics()
    .filter((r): r is EpochRecord => r.type === 'epoch');
}

export function finalEpoch(run: PlannedRun, folder: string): EpochRecord | undefined {
  return epochRecords(run, folder).find((e) => e.epoch === run.config.epochs);
}

/** The results a finished run left in its folder (metrics.jsonl) and in the study's timing log. */
function resultOf(run: PlannedRun, folder: string, wall: Map<string, number>): RunResult | null {
  const epochs = epochRecords(run, folder);
  const last = epochs.find((e) => e.epoch === run.config.epochs);
  if (!last) return null;
  const trainSeconds = epochs.reduce((s, e) => s + e.seconds, 0);
  const images = epochs.reduce((s, e) => s + e.imagesPerSecond * e.seconds, 0);
  return {
    name: run.name,
    seed: run.seed,
    top1: last.top1,
    top5: last.top5,
    curve: epochs.map((e) => ({ epoch: e.epoch, top1: e.top1 })),
    imagesPerSecond: trainSeconds > 0 ? images / trainSeconds : Number.NaN,
    trainSeconds,
    wallSeconds: wall.get(run.name) ?? Number.NaN,
  };
}

function readWallTimes(path: string): Map<string, number> {
  const wall = new Map<string, number>();
  if (!existsSync(path)) return wall;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const { run, seconds } = JSON.parse(line) as { run: string; seconds: number };
      wall.set(run, (wall.get(run) ?? 0) + seconds);
    } catch {
      // a line torn by a kill
    }
  }
  return wall;
}

function minutes(seconds: number): string {
  return seconds < 90 ? `${seconds.toFixed(0)} s` : `${(seconds / 60).toFixed(1)} min`;
}

/** The study's folder and its record: a second start on the same folder must ask for the same study. */
async function openStudyFolder(
  folder: string,
  identity: { study: string; seeds: readonly number[]; overrides: ConfigPatch },
): Promise<void> {
  const studyFile = join(folder, 'study.json');
  if (existsSync(studyFile)) {
    const saved = JSON.parse(readFileSync(studyFile, 'utf8')) as typeof identity;
    if (JSON.stringify(saved) !== JSON.stringify(identity)) {
      throw new TrainerError(
        `${folder} holds another study (${JSON.stringify(saved)}); resume it with the same --study, --seeds and flags, or pick another --name`,
        2,
      );
    }
  } else {
    mkdirSync(folder, { recursive: true });
    await writeFileAtomic(studyFile, `${JSON.stringify(identity, null, 2)}\n`);
  }
  for (const dir of ['configs', 'logs']) mkdirSync(join(folder, dir), { recursive: true });
}

/** Classes and channels of each data set, materialised once here (parallel runs would all write a synthetic set). */
async function dataShapes(runs: readonly PlannedRun[], folder: string) {
  const dataKeys = new Map<string, TrainConfig>();
  for (const { config: c } of runs) {
    const key =
      c.data === 'synthetic'
        ? `synthetic/${c.syntheticClasses}/${c.syntheticPerClass}/${c.syntheticSize}/${c.seed}`
        : c.data;
    if (!dataKeys.has(key)) dataKeys.set(key, c);
  }
  const shapes = new Map<string, { numClasses: number; inputChannels: number }>();
  for (const c of dataKeys.values()) {
    const data = await openData(c, join(folder, '.cache'));
    shapes.set(c.data, { numClasses: data.classes.length, inputChannels: data.inputChannels });
  }
  return shapes;
}

/** Starts a study's runs as processes, `jobs` at a time, teachers before their students; counts and reports. */
class StudyScheduler {
  readonly done: Set<string>;
  readonly failed: { run: string; log: string }[] = [];
  interrupted = false;
  private readonly finishedSeconds: number[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private started: number;
  private readonly cli: string;

  constructor(
    private readonly runs: readonly PlannedRun[],
    private readonly folder: string,
    private readonly options: AblateOptions,
    private readonly write: (line: string) => void,
  ) {
    this.done = new Set(runs.filter((r) => finalEpoch(r, folder)).map((r) => r.name));
    this.started = this.done.size;
    this.cli = options.cli ?? fileURLToPath(new URL('./cli.js', import.meta.url));
  }

  private blocked(run: PlannedRun): boolean {
    return run.teacherRun !== null && !this.done.has(run.teacherRun);
  }

  private async launch(run: PlannedRun): Promise<void> {
    const log = join(this.folder, 'logs', `${run.name}.log`);
    return this.execute(run, await runArguments(run, this.folder), log);
  }

  private async execute(run: PlannedRun, args: string[], log: string): Promise<void> {
    const { runs, options, write } = this;
    this.started += 1;
    write(`[${this.started}/${runs.length}] start ${run.name}${args[0] === '--resume' ? ' (resuming)' : ''}`);
    const exit = await startRun(this.cli, args, log, { signal: options.signal });
    recordExit(this.folder, run.name, exit);
    const last = finalEpoch(run, this.folder);
    if (exit.code === 0 && last) {
      this.done.add(run.name);
      this.finishedSeconds.push(exit.seconds);
      const left = runs.length - this.done.size;
      const mean = this.finishedSeconds.reduce((a, b) => a + b, 0) / this.finishedSeconds.length;
      write(
        `[${this.done.size}/${runs.length}] done  ${run.name}: top-1 ${(100 * last.top1).toFixed(2)}%, top-5 ${(100 * last.top5).toFixed(2)}% in ${minutes(exit.seconds)}${left > 0 ? `; about ${minutes((mean * left) / options.jobs)} left` : ''}`,
      );
    } else if (exit.code === 130 || options.signal?.aborted) {
      this.interrupted = true;
      write(`        ${run.name} stopped and saved its checkpoint`);
    } else {
      this.failed.push({ run: run.name, log });
      write(`        ${run.name} failed (exit ${exit.code}); see ${log}`);
    }
  }

  /** Runs everything not done yet; a run whose teacher did not finish is reported as failed. */
  async runAll(): Promise<void> {
    const { options, running } = this;
    const todo = this.runs.filter((r) => !this.done.has(r.name));
    while (!options.signal?.aborted) {
      const failedNames = new Set(this.failed.map((f) => f.run));
      const ready = todo.filter(
        (r) => !this.done.has(r.name) && !running.has(r.name) && !failedNames.has(r.name) && !this.blocked(r),
      );
      while (running.size < options.jobs && ready.length > 0 && !options.signal?.aborted) {
        const run = ready.shift()!;
        running.set(
          run.name,
          this.launch(run).finally(() => running.delete(run.name)),
        );
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    await Promise.all(running.values());
    if (options.signal?.aborted) this.interrupted = true;
    if (this.interrupted) return;
    for (const run of todo.filter((r) => !this.done.has(r.name) && this.blocked(r))) {
      this.failed.push({ run: run.name, log: `its teacher ${run.teacherRun} did not finish` });
    }
  }
}

/** --plan-only: every run's resolved config and plan.json (teacher first, the order ablate trains in). */
async function writePlan(runs: readonly PlannedRun[], folder: string, write: (line: string) => void) {
  for (const run of runs) await writeRunConfig(run, folder);
  const plan = runs.map((r) => ({
    name: r.name,
    row: r.arm.label,
    seed: r.seed,
    role: r.arm.role ?? null,
    config: join('configs', `${r.name}.json`),
    teacherRun: r.teacherRun,
  }));
  await writeFileAtomic(join(folder, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
  write(
    `plan only: ${runs.length} run configs in ${join(folder, 'configs')}, the plan in ${join(folder, 'plan.json')}; nothing trained`,
  );
}

function findStudyNamed(name: string): Study {
  const study = findStudy(name);
  if (!study) {
    throw new ConfigError(
      `study = ${JSON.stringify(name)}: unknown study; allowed: ${STUDIES.map((s) => s.name).join(', ')}`,
    );
  }
  return study;
}

/** A study's runs, planned into its folder. */
export interface StudyPlan {
  readonly study: Study;
  readonly seeds: readonly number[];
  readonly folder: string;
  readonly runs: readonly PlannedRun[];
  /** The flags every run gets (without runsDir, which the folder replaces). */
  readonly overrides: ConfigPatch;
}

/** A study ready to train: its runs planned, its folder opened and checked, its data sets materialised. */
export interface OpenedStudy extends StudyPlan {
  readonly shapes: Map<string, { numClasses: number; inputChannels: number }>;
}

/** Plans a study's runs into its folder (default <runsDir>/ablate-<study>); touches nothing. */
export function studyPlan(
  options: Pick<AblateOptions, 'study' | 'seeds' | 'overrides' | 'folder'>,
): StudyPlan {
  const study = findStudyNamed(options.study);
  const overrides = options.overrides ?? {};
  const folder = options.folder ?? join(overrides.runsDir ?? 'runs', `ablate-${study.name}`);
  const { runsDir: _ignored, ...runOverrides } = overrides;
  const runs = planStudy(study, options.seeds, folder, runOverrides);
  return { study, seeds: options.seeds, folder, runs, overrides: runOverrides };
}

/** Plans a study and opens its folder: a second start must ask for the same study. */
export async function openStudy(
  options: Pick<AblateOptions, 'study' | 'seeds' | 'overrides' | 'folder'>,
): Promise<OpenedStudy> {
  const plan = studyPlan(options);
  const { study, seeds, folder, runs, overrides } = plan;
  await openStudyFolder(folder, { study: study.name, seeds, overrides });
  return { ...plan, shapes: await dataShapes(runs, folder) };
}

/** The table of the runs finished so far, written as results.md, results.json and the plots. */
export async function writeStudyTable(opened: OpenedStudy): Promise<StudyTable> {
  const { study, seeds, folder, runs, shapes, overrides } = opened;
  const wall = readWallTimes(join(folder, 'timing.jsonl'));
  const table = studyTable(
    study,
    seeds,
    runs.map((run) => ({ run, result: resultOf(run, folder, wall), shape: shapes.get(run.config.data)! })),
    overrides,
  );
  await writeStudyResults(folder, study, table);
  return table;
}

/**
 * Runs every row of a study at every seed, `jobs` runs at a time, and writes the table and its plots.
 * Running it again on the same folder skips finished runs and resumes interrupted ones from their
 * checkpoints, so the table comes out the same as from one straight run.
 */
export async function ablate(options: AblateOptions): Promise<AblateResult> {
  const write = options.write ?? ((line: string) => console.log(line));
  if (!Number.isInteger(options.jobs) || options.jobs < 1 || options.jobs > 64) {
    throw new ConfigError(`jobs = ${JSON.stringify(options.jobs)}: must be an integer from 1 to 64`);
  }
  const opened = await openStudy(options);
  const { study, folder, runs, overrides: runOverrides } = opened;
  const scheduler = new StudyScheduler(runs, folder, options, write);
  const rows = study.arms.filter((a) => a.role !== 'teacher').length;
  const teacher = rows < study.arms.length ? ' + a teacher' : '';
  write(
    `study ${study.name}: ${runs.length} runs (${rows} rows x ${options.seeds.length} seeds${teacher}), ${scheduler.done.size} already done, ${options.jobs} at a time; folder ${folder}`,
  );
  write(`scale: ${study.scale.description}`);
  if (Object.keys(runOverrides).length > 0) write(`changed for every run: ${overridesText(runOverrides)}`);
  if (options.planOnly) await writePlan(runs, folder, write);
  else await scheduler.runAll();
  const table = await writeStudyTable(opened);
  const { done, interrupted, failed } = scheduler;
  write(
    interrupted
      ? `interrupted: ${done.size} of ${runs.length} runs done; run the same command again to resume`
      : `table: ${join(folder, 'results.md')} (${done.size} of ${runs.length} runs done)`,
  );
  return { folder, table, interrupted, failed };
}
