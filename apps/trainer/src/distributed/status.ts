import type { Job, Queue } from 'bullmq';
import type { StudyPlan } from '../ablate.js';
import type { StudyJob } from './job-data.js';
import { gateJobId } from './job-id.js';
import type { RunJobResult } from './run-job.js';
import type { RunProgress } from './run-progress.js';

export type RunStateName = 'finished' | 'running' | 'waiting' | 'failed';

/** One run's state as the queue knows it. */
export interface RunStatus {
  readonly run: string;
  readonly state: RunStateName;
  readonly detail: string;
  /** Set when finished. */
  readonly result?: RunJobResult;
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

function firstLine(text: string | undefined): string {
  return (text ?? 'no reason recorded').split('\n')[0]!;
}

/** A run whose job is not in the queue: a student whose teacher's flow has not released it yet, or none. */
async function withoutJob(queue: Queue, entry: StudyJob, teacher: StudyJob | undefined): Promise<RunStatus> {
  if (!teacher)
    return {
      run: entry.name,
      state: 'waiting',
      detail: 'not in the queue: run the ablate command to add it',
    };
  const states = await Promise.all([gateJobId(teacher.id), teacher.id].map((id) => queue.getJobState(id)));
  if (states.includes('failed'))
    return { run: entry.name, state: 'failed', detail: `its teacher ${teacher.name} failed` };
  return { run: entry.name, state: 'waiting', detail: `for its teacher ${teacher.name}` };
}

/** What one job says of its run, given the state read before the job itself. */
export function runStatusOf(
  job: Pick<Job, 'returnvalue' | 'progress' | 'processedBy' | 'failedReason' | 'attemptsMade'>,
  state: string,
  name: string,
): RunStatus {
  if (state === 'completed') {
    const result = job.returnvalue as RunJobResult | null;
    // Completing: the job moves to completed and gets its return value in one step, so this is only a
    // snapshot taken a moment before; the next look sees it finished.
    if (!result) return { run: name, state: 'running', detail: 'finishing' };
    return {
      run: name,
      state: 'finished',
      detail: `top-1 ${percent(result.top1)}, top-5 ${percent(result.top5)}`,
      result,
    };
  }
  if (state === 'active') {
    const p = job.progress as Partial<RunProgress>;
    const where = job.processedBy ?? p.worker ?? 'a worker';
    const at = p.epochs ? `, epoch ${p.epoch}/${p.epochs}, step ${p.step}` : '';
    return { run: name, state: 'running', detail: `on ${where}${at}` };
  }
  if (state === 'failed') {
    return {
      run: name,
      state: 'failed',
      detail: `${firstLine(job.failedReason)} (after ${job.attemptsMade} attempts)`,
    };
  }
  const before =
    job.attemptsMade > 0
      ? `, ${job.attemptsMade} failed attempt(s) so far: ${firstLine(job.failedReason)}`
      : '';
  const how = state === 'delayed' ? 'delayed (a retry, or held by another delivery of it)' : 'in the queue';
  return { run: name, state: 'waiting', detail: `${how}${before}` };
}

/** Every run's state, in plan order. */
export async function studyStatus(
  queue: Queue,
  plan: StudyPlan,
  jobs: readonly StudyJob[],
): Promise<RunStatus[]> {
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const out: RunStatus[] = [];
  for (const run of plan.runs) {
    const entry = byName.get(run.name)!;
    // The state first, then the job: a job read before its state could complete in between and show
    // 'completed' without its return value.
    const state = await queue.getJobState(entry.id);
    const job = state === 'unknown' ? undefined : await queue.getJob(entry.id);
    const teacher = run.teacherRun === null ? undefined : byName.get(run.teacherRun);
    out.push(job ? runStatusOf(job, state, run.name) : await withoutJob(queue, entry, teacher));
  }
  return out;
}

/** The status as lines: one per run, then the counts. */
export function statusLines(statuses: readonly RunStatus[]): string[] {
  const width = Math.max(...statuses.map((s) => s.run.length));
  const lines = statuses.map((s) => `  ${s.run.padEnd(width)}  ${s.state.padEnd(8)}  ${s.detail}`);
  const count = (state: RunStateName) => statuses.filter((s) => s.state === state).length;
  lines.push(
    `${count('finished')} of ${statuses.length} finished, ${count('running')} running, ${count('waiting')} waiting, ${count('failed')} failed`,
  );
  return lines;
}
