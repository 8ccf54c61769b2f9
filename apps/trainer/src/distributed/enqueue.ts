import { FlowProducer, Queue } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { OpenedStudy } from '../ablate.js';
import { bullConnection, QUEUE_NAME } from './connection.js';
import { bulkEntry, runJobs, type StudyJob, teacherFlow } from './job-data.js';
import { gateJobId } from './job-id.js';

export interface Enqueued {
  /** Every run's job, in plan order (teacher first). */
  readonly jobs: readonly StudyJob[];
  /** Runs whose job had failed for good and was sent back to the queue (running the command again retries). */
  readonly retried: readonly string[];
}

/** Sends failed jobs back: a failed plain run is retried; a failed teacher flow is removed and added anew. */
async function retryFailed(queue: Queue, jobs: readonly StudyJob[], teacher: StudyJob | undefined) {
  const retried: string[] = [];
  for (const entry of jobs) {
    if (entry === teacher) continue;
    if ((await queue.getJobState(entry.id)) !== 'failed') continue;
    const job = await queue.getJob(entry.id);
    if (job) {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      retried.push(entry.name);
    }
  }
  if (teacher) {
    const states = await Promise.all([gateJobId(teacher.id), teacher.id].map((id) => queue.getJobState(id)));
    const gate = states.includes('failed') ? await queue.getJob(gateJobId(teacher.id)) : undefined;
    if (gate) {
      await gate.remove({ removeChildren: true });
      retried.push(teacher.name);
    }
  }
  return retried;
}

/**
 * Adds a study's runs to the queue, each as a job with a deterministic id (adding them again adds
 * nothing). The runs that distil wait for their teacher: the teacher's job is the child of a flow whose
 * parent adds their jobs once the teacher's completed.
 */
export async function enqueueStudy(
  redis: RedisOptions,
  opened: OpenedStudy,
  studyFolder: string,
): Promise<Enqueued> {
  const connection = bullConnection(redis);
  const queue = new Queue(QUEUE_NAME, { connection });
  const flows = new FlowProducer({ connection });
  try {
    const jobs = runJobs(opened, studyFolder);
    const roles = new Map(opened.runs.map((r) => [r.name, r]));
    const teacher = jobs.find((j) => roles.get(j.name)?.arm.role === 'teacher');
    const students = jobs.filter((j) => roles.get(j.name)?.teacherRun != null);
    const rest = jobs.filter((j) => j !== teacher && !students.includes(j));
    const retried = await retryFailed(queue, jobs, teacher);
    // The teacher first: the runs that distil from it wait for it.
    if (teacher) await flows.add(teacherFlow(teacher, students));
    await queue.addBulk(rest.map(bulkEntry));
    return { jobs, retried };
  } finally {
    await flows.close();
    await queue.close();
  }
}
