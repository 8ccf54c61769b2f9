import { isAbsolute, relative, sep } from 'node:path';
import type { FlowJob, JobsOptions } from 'bullmq';
import type { PlannedRun, StudyPlan } from '../ablate.js';
import type { ConfigPatch } from '../config.js';
import { ConfigError } from '../errors.js';
import { QUEUE_NAME } from './connection.js';
import { gateJobId, runJobId } from './job-id.js';
import { recipeVersion } from './recipe-version.js';

/** What every job of a study carries: enough for a worker to plan the study itself and check it agrees. */
export interface StudyRef {
  /** recipeVersion() of the enqueuer: a worker of another version refuses the job. */
  readonly version: string;
  readonly study: string;
  readonly seeds: readonly number[];
  readonly overrides: ConfigPatch;
  /** The study folder relative to the runs folder all machines share (their --runs-dir). */
  readonly folder: string;
}

/** Train one run of the study into <runs-dir>/<folder>/<run>. */
export interface RunJobData extends StudyRef {
  readonly kind: 'run';
  readonly run: string;
}

/** The flow parent of a teacher's job: once the teacher completed, it adds the jobs of its students. */
export interface GateJobData extends StudyRef {
  readonly kind: 'gate';
  readonly teacherRun: string;
  readonly students: readonly string[];
}

export type StudyJobData = RunJobData | GateJobData;

/**
 * Retries of a run that exits with an error (a worker that dies is not one: its job goes back to the
 * queue as stalled, see the worker's maxStalledCount).
 */
export const RUN_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
} as const satisfies JobsOptions;

/** A study folder as a path under the runs folder, refused when it lies outside it. */
export function relativeStudyFolder(runsDir: string, folder: string): string {
  const rel = relative(runsDir, folder);
  if (rel === '' || isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) {
    throw new ConfigError(
      `name = ${JSON.stringify(folder)}: with --queue the study folder must lie inside --runs-dir ${JSON.stringify(runsDir)}, the folder every worker shares`,
    );
  }
  return rel.split(sep).join('/');
}

export interface StudyJob {
  readonly name: string;
  readonly id: string;
  readonly data: RunJobData;
}

/** The job that trains one planned run of a study. */
export function runJobOf(ref: StudyRef, run: PlannedRun): StudyJob {
  return {
    name: run.name,
    id: runJobId(ref.study, ref.folder, run),
    data: { ...ref, kind: 'run', run: run.name },
  };
}

/** The job of each planned run, in plan order (teacher first). */
export function runJobs(opened: StudyPlan, studyFolder: string): StudyJob[] {
  const ref: StudyRef = {
    version: recipeVersion(),
    study: opened.study.name,
    seeds: opened.seeds,
    overrides: opened.overrides,
    folder: studyFolder,
  };
  return opened.runs.map((run) => runJobOf(ref, run));
}

/** A job's options as BullMQ's Queue.addBulk takes them. */
export function bulkEntry(job: StudyJob) {
  return { name: job.name, data: job.data, opts: { ...RUN_JOB_OPTIONS, jobId: job.id } };
}

/** The flow that trains a teacher, then (its parent, the gate) adds the jobs of the runs that distil from it. */
export function teacherFlow(teacher: StudyJob, students: readonly StudyJob[]): FlowJob {
  const { kind: _kind, run: _run, ...ref } = teacher.data;
  const gate: GateJobData = {
    ...ref,
    kind: 'gate',
    teacherRun: teacher.name,
    students: students.map((s) => s.name),
  };
  return {
    name: `students-of-${teacher.name}`,
    queueName: QUEUE_NAME,
    data: gate,
    opts: { jobId: gateJobId(teacher.id) },
    children: [
      {
        name: teacher.name,
        queueName: QUEUE_NAME,
        data: teacher.data,
        opts: { ...RUN_JOB_OPTIONS, jobId: teacher.id, failParentOnFailure: true },
      },
    ],
  };
}
