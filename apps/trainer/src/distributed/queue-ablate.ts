import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import {
  type AblateOptions,
  type AblateResult,
  openStudy,
  type StudyPlan,
  studyPlan,
  writeStudyTable,
} from '../ablate.js';
import type { ConfigPatch } from '../config.js';
import type { StudyTable } from '../study-table.js';
import { bullConnection, checkReachable, parseQueueUrl, QUEUE_NAME } from './connection.js';
import { enqueueStudy } from './enqueue.js';
import { relativeStudyFolder, runJobs, type StudyJob } from './job-data.js';
import { recipeVersion } from './recipe-version.js';
import { type RunStatus, statusLines, studyStatus } from './status.js';

/** A local study's options, less --jobs, plus the queue. */
export interface QueueAblateOptions
  extends Pick<AblateOptions, 'study' | 'seeds' | 'folder' | 'write' | 'signal'> {
  /** redis://host:port */
  readonly queue: string;
  /** Config fields of every run, and runsDir: the folder every machine shares. */
  readonly overrides: ConfigPatch;
  /** Print every run's state and return. */
  readonly status?: boolean;
  /** Wait for the runs and write the table (default); false returns once the jobs are in the queue. */
  readonly wait?: boolean;
  /** How often the waiting looks at the queue; default 2 s. */
  readonly pollMs?: number;
}

/** Like a local study's result; no table when only the status was asked, or the waiting stopped or skipped. */
export interface QueueAblateResult extends Omit<AblateResult, 'table'> {
  readonly table: StudyTable | null;
}

/** Polls the queue until every run finished or failed; reports each as it ends. */
async function waitForRuns(
  redis: RedisOptions,
  plan: StudyPlan,
  jobs: readonly StudyJob[],
  options: QueueAblateOptions,
  write: (line: string) => void,
): Promise<RunStatus[] | null> {
  const queue = new Queue(QUEUE_NAME, { connection: bullConnection(redis) });
  queue.on('error', () => undefined); // a Redis restart: the commands wait for it to come back
  // A run that finished or failed is reported once and not looked up again: each look reads only the rest.
  const settled = new Map<string, RunStatus>();
  try {
    for (;;) {
      const pending = { ...plan, runs: plan.runs.filter((r) => !settled.has(r.name)) };
      for (const s of await studyStatus(queue, pending, jobs)) {
        if (s.state !== 'finished' && s.state !== 'failed') continue;
        settled.set(s.run, s);
        write(
          `[${settled.size}/${plan.runs.length}] ${s.state === 'finished' ? 'done  ' : 'failed'} ${s.run}: ${s.detail}`,
        );
      }
      if (settled.size === plan.runs.length) return plan.runs.map((r) => settled.get(r.name)!);
      await sleep(options.pollMs ?? 2000, undefined, { signal: options.signal }).catch(() => undefined);
      if (options.signal?.aborted) return null;
    }
  } finally {
    await queue.close();
  }
}

/**
 * The study as it was enqueued into its folder: the seeds and flags study.json records, so that --status
 * needs only the study (or --name), --queue and --runs-dir. Null before the folder exists.
 */
function enqueuedPlan(plan: StudyPlan, runsDir: string): StudyPlan | null {
  const file = join(plan.folder, 'study.json');
  if (!existsSync(file)) return null;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { seeds: number[]; overrides: ConfigPatch };
  const overrides = { ...saved.overrides, runsDir };
  return studyPlan({ study: plan.study.name, seeds: saved.seeds, overrides, folder: plan.folder });
}

async function printStatus(
  redis: RedisOptions,
  plan: StudyPlan,
  jobs: readonly StudyJob[],
  write: (l: string) => void,
) {
  const queue = new Queue(QUEUE_NAME, { connection: bullConnection(redis) });
  try {
    write(`study ${plan.study.name} in ${plan.folder}:`);
    for (const line of statusLines(await studyStatus(queue, plan, jobs))) write(line);
  } finally {
    await queue.close();
  }
}

/** The failed runs as a local study reports them: the run and why (the reason names the log). */
function failures(statuses: readonly RunStatus[]) {
  return statuses.filter((s) => s.state === 'failed').map((s) => ({ run: s.run, log: s.detail }));
}

/**
 * `bot-train ablate --queue`: adds the study's runs to the queue, waits for the workers to train them,
 * and writes the same table and plots as a local study; with `status`, prints every run's state.
 */
export async function queueAblate(options: QueueAblateOptions): Promise<QueueAblateResult> {
  const write = options.write ?? ((line: string) => console.log(line));
  const redis = parseQueueUrl(options.queue);
  const runsDir = options.overrides.runsDir ?? 'runs';
  const plan = studyPlan(options);
  const studyFolder = relativeStudyFolder(runsDir, plan.folder);
  await checkReachable(options.queue, redis);
  if (options.status) {
    const enqueued = enqueuedPlan(plan, runsDir) ?? plan;
    await printStatus(redis, enqueued, runJobs(enqueued, studyFolder), write);
    return { folder: plan.folder, table: null, failed: [], interrupted: false };
  }
  const opened = await openStudy(options);
  const { jobs, retried } = await enqueueStudy(redis, opened, studyFolder);
  write(
    `study ${opened.study.name}: ${jobs.length} runs in the queue ${options.queue} (bot-train ${recipeVersion()}), folder ${opened.folder}`,
  );
  if (retried.length > 0) write(`failed before, sent back to the queue: ${retried.join(', ')}`);
  write(
    `start workers on any machine that shares ${runsDir}: bot-train worker --queue ${options.queue} --runs-dir ${runsDir}`,
  );
  const statuses = options.wait === false ? null : await waitForRuns(redis, opened, jobs, options, write);
  if (!statuses) {
    write(
      'not waiting: the study goes on in the queue; --status shows it, the same command waits again and writes the table',
    );
    return { folder: opened.folder, table: null, failed: [], interrupted: options.wait !== false };
  }
  const table = await writeStudyTable(opened);
  const done = statuses.filter((s) => s.state === 'finished').length;
  write(`table: ${join(opened.folder, 'results.md')} (${done} of ${jobs.length} runs done)`);
  return { folder: opened.folder, table, failed: failures(statuses), interrupted: false };
}
