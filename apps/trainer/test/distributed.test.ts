// `bot-train ablate --queue` and `bot-train worker` against a real redis-server (Debian's), started here on a
// free localhost port with persistence in a temporary folder. Every wait below waits for an event (a line
// of output, a file's content), never for a length of time; the test timeouts are only a backstop.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AblateResult, ablate, openStudy } from '../src/ablate.js';
import { checkpointPosition, readCheckpoint } from '../src/checkpoint.js';
import { QUEUE_NAME } from '../src/distributed/connection.js';
import { bulkEntry, runJobs } from '../src/distributed/job-data.js';
import type { RunJobResult } from '../src/distributed/run-job.js';
import type { LockHolder } from '../src/distributed/run-lock.js';
import { type EpochRecord, type MetricsRecord, RunFolder } from '../src/run-folder.js';
import type { StudyTable } from '../src/study-table.js';
import { cli, tempDir } from './helpers.js';
import { accuracies, tinyFlags, tinyOverrides } from './tiny-study.js';

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedis && process.env['CI'])
  throw new Error('redis-server is missing: scripts/install-system-deps.sh installs it');
if (!hasRedis) console.warn('distributed.test.ts skipped: no redis-server (apt-get install redis-server)');

/** 24 training images in batches of 8, for 2 epochs. */
const STEPS = 6;
const LOCK = ['--lock-seconds', '2'];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A process whose output is collected, with a wait for a line that matches. */
class Proc {
  out = '';
  private readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    const take = (chunk: Buffer) => {
      this.out += chunk.toString();
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }
  static cli(args: string[]): Proc {
    return new Proc(spawn(process.execPath, [cli, ...args]));
  }
  async waitFor(pattern: RegExp): Promise<RegExpExecArray> {
    await until(() => pattern.test(this.out), `${pattern} in:\n${this.out}`);
    return pattern.exec(this.out)!;
  }
  exit(): Promise<number | null> {
    return this.exited;
  }
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Polls a condition every `everyMs` until it holds (the test's timeout is the only limit). */
async function until(condition: () => boolean, what: string, everyMs = 50): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 0 && (i * everyMs) % 50_000 === 0) console.warn(`still waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** redis-server on a free port, appendonly in its own folder; stop() and start() keep port and data. */
class RedisServer {
  private proc: Proc | null = null;
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--appendonly',
      'yes',
      '--dir',
      this.dir,
    ];
    this.proc = new Proc(spawn('redis-server', [...args, '--save', '']));
    await this.proc.waitFor(/Ready to accept connections/);
  }
  /** SIGTERM: Redis writes its append-only file and exits. */
  async stop(): Promise<void> {
    await this.proc?.stop('SIGTERM');
    this.proc = null;
  }
}

const metricsOf = (folder: string, run: string) => new RunFolder(join(folder, run)).readMetrics();
const finalRecords = (folder: string, run: string) =>
  metricsOf(folder, run).filter(
    (r): r is EpochRecord => r.type === 'epoch' && r.epoch === tinyOverrides.epochs,
  );

function lockHolder(folder: string, run: string): LockHolder | null {
  try {
    return JSON.parse(readFileSync(join(folder, 'locks', `${run}.lock`), 'utf8')) as LockHolder;
  } catch {
    return null;
  }
}

/**
 * The run's trainer process once it has taken a step, frozen (SIGSTOP) so that it surely is mid-run; null
 * when the run got past its last step first.
 */
async function freezeMidRun(folder: string, run: string): Promise<number | null> {
  let pid: number | null = null;
  await until(
    () => {
      pid = null;
      if (finalRecords(folder, run).length > 0) return true;
      pid = lockHolder(folder, run)?.trainerPid ?? null;
      return pid !== null && metricsOf(folder, run).some((r) => r.type === 'step');
    },
    `a step of ${run}`,
    5,
  );
  if (pid === null) return null;
  try {
    process.kill(pid, 'SIGSTOP');
  } catch {
    return null; // it has just ended
  }
  if (metricsOf(folder, run).filter((r: MetricsRecord) => r.type === 'step').length < STEPS) return pid;
  process.kill(pid, 'SIGCONT');
  return null;
}

async function untilAsync(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; !(await condition()); i++) {
    if (i > 0 && i % 1000 === 0) console.warn(`still waiting for ${what}`);
    await sleep(50);
  }
}

describe.skipIf(!hasRedis)('bot-train ablate --queue with bot-train worker', () => {
  const dir = tempDir('distributed');
  let redis: RedisServer;
  /** The queue as the tests see it, for what the command line does not show. */
  let queue: Queue;
  let localRun: Promise<AblateResult> | undefined;
  /** The reference: the same study trained locally, one run at a time (started once, on first use). */
  const local = () =>
    (localRun ??= ablate({
      study: 'refinements',
      seeds: [0],
      jobs: 1,
      overrides: tinyOverrides,
      folder: join(dir, 'local'),
      cli,
      write: () => undefined,
    }));
  const procs: Proc[] = [];
  const worker = (name: string) => {
    const p = Proc.cli(['worker', '--queue', redis.url, '--runs-dir', dir, ...LOCK]);
    p.out = `(${name})\n`;
    procs.push(p);
    return p;
  };
  /** `bot-train ablate --queue` on the tiny refinements study at seed 0, in <dir>/<name>. */
  const ablateCli = (name: string, ...more: string[]) => {
    const study = ['--study', 'refinements', '--seeds', '0', '--name', name];
    const p = Proc.cli(['ablate', ...study, '--queue', redis.url, '--runs-dir', dir, ...tinyFlags, ...more]);
    procs.push(p);
    return p;
  };

  /** The job of one run (efficient-s0) of the tiny study in <dir>/<name>, for a test to add by hand. */
  const efficientJob = async (name: string) => {
    const overrides = { ...tinyOverrides, runsDir: dir };
    const opened = await openStudy({ study: 'refinements', seeds: [0], overrides, folder: join(dir, name) });
    return { opened, job: runJobs(opened, name).find((j) => j.name === 'efficient-s0')! };
  };

  beforeAll(async () => {
    redis = new RedisServer(await freePort(), tempDir('redis'));
    await redis.start();
    queue = new Queue(QUEUE_NAME, { connection: { host: '127.0.0.1', port: redis.port } });
    queue.on('error', () => undefined); // while the restart test has Redis stopped
  });

  afterAll(async () => {
    await localRun?.catch(() => undefined);
    for (const p of procs) await p.stop('SIGKILL');
    await queue.close();
    await redis.stop();
  });

  it('finishes a study over 3 workers when one is killed (SIGKILL) mid-run, with the local results', async () => {
    const folder = join(dir, 'spread');
    local(); // alongside
    const workers = [worker('a'), worker('b'), worker('c')];
    const study = ablateCli('spread');
    // Kill the worker of the first run caught mid-run; its trainer notices and saves a checkpoint.
    const tried = new Set<string>();
    const nextStart = () =>
      workers
        .flatMap((w) =>
          [...w.out.matchAll(/\] (\S+): starting \(job/g)].map((m) => ({ worker: w, run: m[1]! })),
        )
        .find((s) => !tried.has(s.run));
    let victim: { run: string; worker: Proc } | undefined;
    while (!victim) {
      await until(() => nextStart() !== undefined, 'a run to start');
      const next = nextStart()!;
      tried.add(next.run);
      const frozen = await freezeMidRun(folder, next.run);
      if (frozen === null) continue;
      next.worker.child.kill('SIGKILL');
      process.kill(frozen, 'SIGCONT');
      victim = next;
    }
    const result = await study.exit();
    expect(result, study.out).toBe(0);
    expect(study.out).toMatch(/table: .*results\.md \(6 of 6 runs done\)/);
    // Another worker resumed the victim's run from the checkpoint its orphaned trainer saved.
    const log = readFileSync(join(folder, 'logs', `${victim.run}.log`), 'utf8');
    expect(log).toMatch(/the worker that started this run is gone: saving a checkpoint/);
    const others = workers
      .filter((w) => w !== victim.worker)
      .map((w) => w.out)
      .join('\n');
    expect(others).toContain(`${victim.run}: resuming from its checkpoint`);
    const spread = JSON.parse(readFileSync(join(folder, 'results.json'), 'utf8')) as StudyTable;
    const reference = await local();
    expect(reference.table.complete).toBe(true);
    expect(accuracies(spread)).toEqual(accuracies(reference.table));
    for (const run of Object.keys(accuracies(spread))) expect(finalRecords(folder, run), run).toHaveLength(1);
    await Promise.all(workers.map((w) => w.stop()));
  }, 300_000);

  it('loses no job and trains none twice when Redis stops and restarts mid-study', async () => {
    const folder = join(dir, 'restart');
    const workers = [worker('d'), worker('e')];
    const study = ablateCli('restart');
    // Stop Redis while a run trains, and start it again only after that run has finished without it.
    const [, run] = await workers[0]!.waitFor(/\] (\S+): starting \(job/);
    await until(() => metricsOf(folder, run!).some((r) => r.type === 'step'), `a step of ${run}`);
    await redis.stop();
    await until(() => finalRecords(folder, run!).length > 0, `${run} to finish`);
    await redis.start();
    expect(await study.exit(), study.out).toBe(0);
    expect(study.out).toMatch(/\(6 of 6 runs done\)/);
    const restarted = JSON.parse(readFileSync(join(folder, 'results.json'), 'utf8')) as StudyTable;
    expect(accuracies(restarted)).toEqual(accuracies((await local()).table));
    for (const name of Object.keys(accuracies(restarted))) {
      expect(finalRecords(folder, name), name).toHaveLength(1);
      // Started from scratch once: any second start is a resume from its checkpoint.
      const starts = workers.map((w) => w.out.split(`] ${name}: starting (job`).length - 1);
      expect(
        starts.reduce((a, b) => a + b, 0),
        name,
      ).toBe(1);
    }
    // Enqueuing the study again adds nothing (the same job ids): it finds every run done at once.
    const counts = await queue.getJobCounts();
    const outputs = workers.map((w) => w.out);
    const again = ablateCli('restart');
    expect(await again.exit(), again.out).toBe(0);
    expect(again.out).toMatch(/\(6 of 6 runs done\)/);
    expect(await queue.getJobCounts()).toEqual(counts);
    expect(workers.map((w) => w.out)).toEqual(outputs);
    await Promise.all(workers.map((w) => w.stop()));
  }, 300_000);

  it('refuses bad input with a clear message and exit 2: queue URL, study, version, unshared runs folder', async () => {
    const unreachable = Proc.cli(['worker', '--queue', `redis://127.0.0.1:${await freePort()}`]);
    expect(await unreachable.exit()).toBe(2);
    expect(unreachable.out).toMatch(
      /queue = "redis:\/\/127\.0\.0\.1:\d+": no Redis answers there \(.*ECONNREFUSED/,
    );
    const scheme = Proc.cli(['ablate', '--study', 'refinements', '--queue', 'http://x:1', '--runs-dir', dir]);
    expect(await scheme.exit()).toBe(2);
    expect(scheme.out).toMatch(/queue = "http:\/\/x:1": the scheme must be redis: or rediss:/);
    const status = Proc.cli(['ablate', '--study', 'refinements', '--status', '--runs-dir', dir]);
    expect(await status.exit()).toBe(2);
    expect(status.out).toMatch(/--status shows the state of a study on a queue; pass --queue/);

    // Jobs a worker must refuse: it puts each back in the queue, says why and exits 2.
    const { opened, job } = await efficientJob('refused');
    const refusals = [
      {
        data: { ...job.data, study: 'nope' },
        runsDir: dir,
        message:
          /study = "nope" is unknown to this worker \(it knows model-tweaks, refinements, efficient-training\)/,
      },
      {
        data: { ...job.data, version: '9.9.9 (recipes 000000000000)' },
        runsDir: dir,
        message:
          /was enqueued by bot-train 9\.9\.9 \(recipes 000000000000\), but this worker is bot-train \d+\.\d+\.\d+\S* \(recipes [0-9a-f]{12}\)/,
      },
      {
        data: job.data,
        runsDir: tempDir('unshared'),
        message:
          /does not see the study folder .*refused \(no study\.json\): --runs-dir .* must be the folder/,
      },
    ];
    for (const refusal of refusals) {
      await queue.add(job.name, refusal.data, bulkEntry(job).opts);
      const w = Proc.cli(['worker', '--queue', redis.url, '--runs-dir', refusal.runsDir, ...LOCK]);
      procs.push(w);
      expect(await w.exit(), w.out).toBe(2);
      expect(w.out).toMatch(refusal.message);
      // Back in the queue for a worker that can take it, its attempts untouched.
      const back = (await queue.getJob(job.id))!;
      expect(await back.getState()).toBe('waiting');
      expect(back.attemptsMade).toBe(0);
      await back.remove();
    }
    expect(existsSync(join(opened.folder, 'efficient-s0'))).toBe(false);
  }, 120_000);

  it('keeps a run folder valid when a running job is delivered again (its lock expired)', async () => {
    const { opened, job } = await efficientJob('twice');
    await queue.add(job.name, job.data, bulkEntry(job).opts);
    const first = worker('first');
    const trainer = await freezeMidRun(opened.folder, job.name);
    expect(trainer).not.toBeNull();
    // --status: the run trains on the first worker (its progress is the step its metrics recorded last).
    const steps = metricsOf(opened.folder, job.name).filter((r) => r.type === 'step').length;
    await untilAsync(
      async () => ((await queue.getJob(job.id))!.progress as { step?: number }).step === steps,
      'progress',
    );
    // Only the study, its folder and the queue: the seeds and flags come from the folder's study.json.
    const status = Proc.cli([
      'ablate',
      '--study',
      'refinements',
      '--name',
      'twice',
      '--runs-dir',
      dir,
      '--queue',
      redis.url,
      '--status',
    ]);
    procs.push(status);
    expect(await status.exit(), status.out).toBe(0);
    const host = /worker (\S+): bot-train/.exec(first.out)![1]!;
    expect(status.out).toMatch(
      new RegExp(`efficient-s0 +running +on ${host}, epoch [12]/2, step ${steps}\n`),
    );
    expect(status.out).toMatch(/teacher-s0 +waiting +not in the queue/);
    expect(status.out).toContain('0 of 6 finished, 1 running, 5 waiting, 0 failed');
    // The lock BullMQ keeps while a worker processes the job expires: the job is handed out again.
    const client = await queue.client;
    expect(await client.del(`bull:${QUEUE_NAME}:${job.id}:lock`)).toBe(1);
    const second = worker('second');
    await second.waitFor(/efficient-s0: \S+ is training it \(job \S+ delivered again\); deferred/);
    process.kill(trainer!, 'SIGCONT');
    const stored = (await queue.getJob(job.id))!;
    await untilAsync(async () => (await stored.getState()) === 'completed', 'the job to complete');
    // The delivery that completed the job found the run finished by the first and did not train it.
    const result = (await queue.getJob(job.id))!.returnvalue as RunJobResult;
    const outputs = `${first.out}\n${second.out}`;
    expect(result.trained, outputs).toBe(false);
    // One trainer wrote the folder: every step and epoch once, in order, and the checkpoint of the end.
    const metrics = metricsOf(opened.folder, job.name);
    expect(
      metrics.filter((r) => r.type === 'step').map((r) => r.step),
      outputs,
    ).toEqual([1, 2, 3, 4, 5, 6]);
    expect(metrics.filter((r) => r.type === 'epoch').map((r) => r.epoch)).toEqual([1, 2]);
    // The checkpoint of the end, as its header says (what the workers read) and as the whole file does.
    const checkpoint = new RunFolder(join(opened.folder, job.name)).checkpoint;
    const { state } = await readCheckpoint(checkpoint);
    expect([state.epoch, state.batchInEpoch]).toEqual([2, 0]);
    expect(checkpointPosition(checkpoint)).toEqual({ epoch: 2, batchInEpoch: 0 });
    expect(checkpointPosition(join(opened.folder, 'nothing.ckpt'))).toBeNull();
    expect(existsSync(join(opened.folder, 'locks', `${job.name}.lock`))).toBe(false);
    const reference = accuracies((await local()).table)[job.name];
    expect([result.top1, result.top5]).toEqual(reference);
    await Promise.all([first.stop(), second.stop()]);
  }, 180_000);
});
