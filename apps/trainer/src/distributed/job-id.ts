import { createHash } from 'node:crypto';
import type { PlannedRun } from '../ablate.js';

/**
 * A run's BullMQ job id: a hash of its study, its study folder (relative to the runs folder) and its
 * resolved config (which holds its seed), with the paths that differ between machines replaced by names.
 * Enqueuing a study again gives the same ids, so it adds nothing. BullMQ forbids ':' in custom ids and
 * ids that are integers: a hex digest behind a prefix is neither.
 */
export function runJobId(study: string, studyFolder: string, run: PlannedRun): string {
  const portable = { ...run.config, runsDir: studyFolder, teacher: run.teacherRun };
  const digest = createHash('sha256')
    .update(JSON.stringify({ study, studyFolder, run: run.name, config: portable }))
    .digest('hex');
  return `run-${digest.slice(0, 32)}`;
}

/** The job that releases a teacher's students once the teacher's job has completed (its flow parent). */
export function gateJobId(teacherJobId: string): string {
  return `after-${teacherJobId}`;
}
