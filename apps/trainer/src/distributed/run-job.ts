import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import type { PlannedRun } from '../ablate.js';
import { RunFolder } from '../run-folder.js';
import { recordExit, runArguments, startRun } from '../run-process.js';
import type { RunJobData } from './job-data.js';
import { checkTeacherVisible, type ResolvedStudy, resolveStudy, runOfJob } from './resolve-job.js';
import { finishedRecord } from './run-finished.js';
import { RunLock } from './run-lock.js';
import { runProgress } from './run-progress.js';

/** What a worker gives every job it processes. */
export interface JobContext {
  readonly runsDir: string;
  /** host-pid: the name --status shows and the run lock records. */
  readonly worker: string;
  /** The BullMQ lock duration; the run lock's heartbeat, staleness and deferral follow from it. */
  readonly lockMs: number;
  /** The `bot-train` entry point the runs are started with. */
  readonly cli: string;
  /** Aborted when the worker stops: every run saves a checkpoint and its job goes back to the queue. */
  readonly signal: AbortSignal;
  readonly write: (line: string) => void;
}

/** A run job's return value, kept by BullMQ with the completed job. */
export interface RunJobResult {
  readonly run: string;
  readonly top1: number;
  readonly top5: number;
  /** False when the run folder already recorded the run as finished (a job delivered again). */
  readonly trained: boolean;
  readonly worker: string;
}

/** The run stopped, or cannot start, without failing (worker stopping, run locked elsewhere): the job goes back. */
export class RunStopped extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunStopped';
  }
}

function finished(run: PlannedRun, folder: string, trained: boolean, worker: string): RunJobResult | null {
  const last = finishedRecord(run, folder);
  return last ? { run: run.name, top1: last.top1, top5: last.top5, trained, worker } : null;
}

/** Why a run failed, from its log: the CLI's one-line error (`bot-train: ...`), then the log's last lines. */
function failure(run: string, code: number, log: string): string {
  let lines: string[];
  try {
    lines = readFileSync(log, 'utf8').trimEnd().split('\n');
  } catch {
    lines = [];
  }
  const reason = lines.findLast((l) => l.startsWith('bot-train: ')) ?? lines.at(-1) ?? 'no output';
  return `run ${run} exited with code ${code}: ${reason} (log: ${log})\n${lines.slice(-15).join('\n')}`;
}

/** Trains the run in a child process (the event loop that renews the job's lock stays free) under its lock. */
async function trainLocked(
  job: Job<RunJobData>,
  run: PlannedRun,
  folder: string,
  lock: RunLock,
  ctx: JobContext,
) {
  const log = join(folder, 'logs', `${run.name}.log`);
  const args = await runArguments(run, folder);
  ctx.write(
    `${run.name}: ${args[0] === '--resume' ? 'resuming from its checkpoint' : 'starting'} (job ${job.id})`,
  );
  const lost = new AbortController();
  const metrics = new RunFolder(join(folder, run.name)).metrics;
  const beat = setInterval(() => {
    if (!lock.heartbeat() && !lost.signal.aborted) lost.abort();
    job.updateProgress({ ...runProgress(metrics, run.config.epochs, ctx.worker) }).catch(() => undefined);
  }, ctx.lockMs / 3);
  const exit = await startRun(ctx.cli, args, log, {
    signal: AbortSignal.any([ctx.signal, lost.signal]),
    stopWithParent: true,
    onSpawn: (child) => lock.setTrainer(child.pid),
  }).finally(() => clearInterval(beat));
  recordExit(folder, run.name, exit);
  const result = exit.code === 0 ? finished(run, folder, true, ctx.worker) : null;
  if (result) {
    ctx.write(
      `${run.name}: done, top-1 ${(100 * result.top1).toFixed(2)}%, top-5 ${(100 * result.top5).toFixed(2)}%`,
    );
    return result;
  }
  if (lost.signal.aborted) throw new RunStopped(`${run.name}: its run lock was taken over as stale; stopped`);
  if (ctx.signal.aborted) throw new RunStopped(`${run.name}: stopped with a checkpoint; back to the queue`);
  throw new Error(failure(run.name, exit.code, log));
}

/**
 * Processes a run job effectively once: a run another delivery holds the lock of is deferred; a run its
 * folder records as finished is not trained again; otherwise the run (re)starts from its last checkpoint.
 */
export async function processRunJob(job: Job<RunJobData>, ctx: JobContext) {
  const jobId = job.id!;
  const resolved: ResolvedStudy = resolveStudy(jobId, job.data, ctx.runsDir);
  const run = runOfJob(jobId, job.data, resolved);
  const { folder } = resolved;
  checkTeacherVisible(jobId, run, resolved);
  // The lock before the look: a run whose trainer is still writing it is not finished yet.
  const me = { worker: ctx.worker, host: hostname(), pid: process.pid, jobId };
  const lock = RunLock.acquire(join(folder, 'locks', `${run.name}.lock`), me, 2 * ctx.lockMs);
  if (!(lock instanceof RunLock)) {
    throw new RunStopped(
      `${run.name}: ${lock.worker} is training it (job ${jobId} delivered again); deferred`,
    );
  }
  try {
    const done = finished(run, folder, false, ctx.worker);
    if (done) ctx.write(`${run.name}: already finished in ${folder}; not trained again (job ${jobId})`);
    return done ?? (await trainLocked(job, run, folder, lock, ctx));
  } finally {
    lock.release();
  }
}
