import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DelayedError, type Job, Queue, WaitingError, Worker } from 'bullmq';
import { bullConnection, checkReachable, parseQueueUrl, QUEUE_NAME } from './connection.js';
import { processGateJob } from './gate-job.js';
import type { GateJobData, RunJobData, StudyJobData } from './job-data.js';
import { recipeVersion } from './recipe-version.js';
import { RefusedJob } from './resolve-job.js';
import { type JobContext, processRunJob, RunStopped } from './run-job.js';

export interface QueueWorkerOptions {
  /** redis://host:port of the study's queue. */
  readonly queue: string;
  /** The runs folder every machine shares. */
  readonly runsDir: string;
  /** Runs trained at once, each in its own process. */
  readonly concurrency: number;
  /** BullMQ's lock duration and stalled-check interval, in seconds (default 30). */
  readonly lockSeconds: number;
  /** Aborting it stops the worker: running runs save a checkpoint and their jobs go back to the queue. */
  readonly signal: AbortSignal;
  readonly write?: (line: string) => void;
  /** The `bot-train` entry point runs are started with; default the cli.js of this build. */
  readonly cli?: string;
}

/** How many times a job may go back to the queue because its worker vanished before it fails for good. */
const MAX_STALLED = 10;

/** Prints each distinct queue error once in a row (a Redis outage repeats one every reconnect). */
function errorPrinter(write: (line: string) => void) {
  let last = '';
  return (error: Error) => {
    if (error.message === last) return;
    last = error.message;
    write(`queue: ${error.message}`);
  };
}

/**
 * Hands a job back without using up an attempt: to the wait list for another worker (this one is
 * stopping), or delayed when another delivery of it holds the run. A lost job lock makes it stall instead.
 */
async function putBack(job: Job, token: string | undefined, delayMs: number): Promise<never> {
  try {
    if (delayMs === 0) await job.moveToWait(token);
    else await job.moveToDelayed(Date.now() + delayMs, token);
  } catch {
    // The job's lock is gone: BullMQ's stalled check returns it to the queue.
  }
  throw delayMs === 0 ? new WaitingError() : new DelayedError();
}

/**
 * `bot-train worker`: takes the study jobs of the queue and trains each run in its own process into the
 * shared runs folder until stopped (resolves to 0). A job it must refuse (another version, an unknown
 * study, a runs folder it cannot see) goes back to the queue for another worker, and the worker stops and
 * throws the RefusedJob (exit 2).
 */
export async function runWorker(options: QueueWorkerOptions): Promise<number> {
  const write = options.write ?? ((line: string) => console.log(line));
  const redis = parseQueueUrl(options.queue);
  await checkReachable(options.queue, redis);
  const connection = bullConnection(redis);
  const name = `${hostname()}-${process.pid}`;
  const lockMs = options.lockSeconds * 1000;
  const stop = new AbortController();
  const ctx: JobContext = {
    runsDir: options.runsDir,
    worker: name,
    lockMs,
    cli: options.cli ?? fileURLToPath(new URL('../cli.js', import.meta.url)),
    signal: stop.signal,
    write: (line) => write(`[${name}] ${line}`),
  };
  let refused: RefusedJob | null = null;
  const queue = new Queue(QUEUE_NAME, { connection });
  const printError = errorPrinter(ctx.write);
  queue.on('error', printError);
  const worker: Worker<StudyJobData> = new Worker<StudyJobData>(
    QUEUE_NAME,
    async (job, token) => {
      try {
        return job.data.kind === 'gate'
          ? await processGateJob(job as Job<GateJobData>, queue, ctx)
          : await processRunJob(job as Job<RunJobData>, ctx);
      } catch (error) {
        if (error instanceof RefusedJob) {
          refused ??= error;
          stop.abort();
        } else if (!(error instanceof RunStopped)) throw error;
        ctx.write(error.message);
        return putBack(job, token, stop.signal.aborted ? 0 : lockMs / 2);
      }
    },
    {
      connection,
      name,
      concurrency: options.concurrency,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: MAX_STALLED,
    },
  );
  worker.on('error', printError);
  worker.on('failed', (job, error) => {
    if (job)
      ctx.write(
        `job ${job.id} (${job.name}) failed, attempt ${job.attemptsMade}: ${error.message.split('\n')[0]}`,
      );
  });
  write(
    `worker ${name}: bot-train ${recipeVersion()}, queue ${options.queue}, runs in ${options.runsDir}, ${options.concurrency} at a time`,
  );
  await new Promise<void>((resolve) => {
    if (options.signal.aborted || stop.signal.aborted) resolve();
    options.signal.addEventListener('abort', () => resolve(), { once: true });
    stop.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  write(`worker ${name}: stopping; running runs save a checkpoint and go back to the queue`);
  stop.abort();
  await worker.close();
  await queue.close();
  if (refused) throw refused;
  return 0;
}
