import type { Job, Queue } from 'bullmq';
import { bulkEntry, type GateJobData, runJobOf } from './job-data.js';
import { checkTeacherVisible, resolveStudy } from './resolve-job.js';
import type { JobContext } from './run-job.js';

/**
 * The flow parent of a teacher's job runs once the teacher's job completed: it adds the jobs of the runs
 * that distil from it (ids are deterministic, so a second delivery adds nothing).
 */
export async function processGateJob(job: Job<GateJobData>, queue: Queue, ctx: JobContext) {
  const jobId = job.id!;
  const resolved = resolveStudy(jobId, job.data, ctx.runsDir);
  const { kind: _kind, teacherRun, students: names, ...ref } = job.data;
  const students = resolved.runs.filter((r) => names.includes(r.name));
  for (const student of students) checkTeacherVisible(jobId, student, resolved);
  await queue.addBulk(students.map((run) => bulkEntry(runJobOf(ref, run))));
  ctx.write(`${teacherRun} finished: released ${students.map((s) => s.name).join(', ')}`);
  return { released: students.map((s) => s.name) };
}
