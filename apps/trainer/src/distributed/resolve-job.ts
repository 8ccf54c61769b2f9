import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { type PlannedRun, planStudy } from '../ablate.js';
import { TrainerError } from '../errors.js';
import { RunFolder } from '../run-folder.js';
import { findStudy, STUDIES, type Study } from '../studies.js';
import type { RunJobData, StudyJobData } from './job-data.js';
import { runJobId } from './job-id.js';
import { recipeVersion } from './recipe-version.js';
import { finishedRecord } from './run-finished.js';

/** A job this worker cannot take: it goes back to the queue for another worker, and this worker stops (exit 2). */
export class RefusedJob extends TrainerError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'RefusedJob';
  }
}

/** A job's study as this worker plans it, in its own --runs-dir. */
export interface ResolvedStudy {
  readonly study: Study;
  readonly folder: string;
  readonly runs: readonly PlannedRun[];
}

function knownStudy(jobId: string, name: string): Study {
  const study = findStudy(name);
  if (!study) {
    throw new RefusedJob(
      `job ${jobId}: study = ${JSON.stringify(name)} is unknown to this worker (it knows ${STUDIES.map((s) => s.name).join(', ')})`,
    );
  }
  return study;
}

/**
 * Checks that this worker can train the job as the enqueuer meant it: a known study, the same version,
 * and the shared runs folder (the study folder with its study.json). Throws RefusedJob otherwise.
 */
export function resolveStudy(jobId: string, data: StudyJobData, runsDir: string): ResolvedStudy {
  const study = knownStudy(jobId, data.study);
  const mine = recipeVersion();
  if (data.version !== mine) {
    throw new RefusedJob(
      `job ${jobId} was enqueued by bot-train ${data.version}, but this worker is bot-train ${mine}: it would train another recipe; run workers built from the enqueuer's version`,
    );
  }
  if (isAbsolute(data.folder) || data.folder.split('/').includes('..')) {
    throw new RefusedJob(
      `job ${jobId}: folder = ${JSON.stringify(data.folder)} is not a path inside the runs folder`,
    );
  }
  const folder = join(runsDir, data.folder);
  if (!existsSync(join(folder, 'study.json'))) {
    throw new RefusedJob(
      `job ${jobId}: this worker does not see the study folder ${folder} (no study.json): --runs-dir ${runsDir} must be the folder the enqueuer's --runs-dir is, shared by every machine`,
    );
  }
  try {
    return { study, folder, runs: planStudy(study, data.seeds, folder, data.overrides) };
  } catch (error) {
    throw new RefusedJob(`job ${jobId}: this worker cannot plan the study: ${(error as Error).message}`);
  }
}

/** The planned run a run job names, checked to resolve to the very config the enqueuer hashed into the id. */
export function runOfJob(jobId: string, data: RunJobData, resolved: ResolvedStudy): PlannedRun {
  const run = resolved.runs.find((r) => r.name === data.run);
  if (!run || runJobId(data.study, data.folder, run) !== jobId) {
    throw new RefusedJob(
      `job ${jobId}: run ${JSON.stringify(data.run)} resolves to another config on this worker than on the enqueuer (different flags or data paths?)`,
    );
  }
  return run;
}

/** A student needs its teacher's final checkpoint; its job only starts after the teacher's completed. */
export function checkTeacherVisible(jobId: string, run: PlannedRun, resolved: ResolvedStudy): void {
  if (run.teacherRun === null) return;
  const teacher = resolved.runs.find((r) => r.name === run.teacherRun)!;
  const checkpoint = new RunFolder(join(resolved.folder, teacher.name)).checkpoint;
  if (!finishedRecord(teacher, resolved.folder)) {
    throw new RefusedJob(
      `job ${jobId}: run ${run.name} distils from ${checkpoint}, which this worker cannot see although the teacher's job completed: the runs folder must be shared by every machine`,
    );
  }
}
