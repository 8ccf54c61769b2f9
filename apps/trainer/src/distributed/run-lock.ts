import { randomUUID } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

/** Who holds a run folder's lock. */
export interface LockHolder {
  /** The worker's name (host-pid), as --status shows it. */
  readonly worker: string;
  readonly host: string;
  readonly pid: number;
  /** The `bot-train train` process of the run, once started. */
  readonly trainerPid: number | null;
  readonly jobId: string;
  readonly since: string;
  /** Tells this holding apart from another of the same worker (a job delivered twice to one worker). */
  readonly token: string;
}

function isAlive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): LockHolder | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch {
    return null; // gone, or caught between two writes
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * A lock file's holder is gone when its heartbeat (the file's mtime) is older than `staleMs`, or, on this
 * very host, when neither its worker nor its trainer process is alive any more.
 */
function isStale(path: string, holder: LockHolder | null, staleMs: number): boolean {
  if (ageMs(path) > staleMs) return true;
  return holder !== null && holder.host === hostname() && !isAlive(holder.pid) && !isAlive(holder.trainerPid);
}

/** Creates `path` only if it does not exist; false when it does. */
function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * One lock per run folder, so that a job delivered twice (BullMQ delivers at least once) never has two
 * trainers writing one folder: a file created exclusively (O_EXCL) that names its holder, kept fresh by a
 * heartbeat. A dead holder's lock is taken over, one taker at a time (a second exclusive file guards it).
 */
export class RunLock {
  private constructor(
    readonly path: string,
    private holder: LockHolder,
  ) {}

  /** The lock, or the live holder that has it (then the caller defers). */
  static acquire(
    path: string,
    me: Omit<LockHolder, 'trainerPid' | 'since' | 'token'>,
    staleMs: number,
  ): RunLock | LockHolder {
    mkdirSync(dirname(path), { recursive: true });
    const holder: LockHolder = {
      ...me,
      trainerPid: null,
      since: new Date().toISOString(),
      token: randomUUID(),
    };
    const text = `${JSON.stringify(holder)}\n`;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (createExclusive(path, text)) return new RunLock(path, holder);
      const current = readHolder(path);
      if (!isStale(path, current, staleMs)) return current ?? { ...holder, worker: 'unknown' };
      if (!RunLock.removeStale(path, current, staleMs)) return current ?? { ...holder, worker: 'unknown' };
    }
    return readHolder(path) ?? { ...holder, worker: 'unknown' };
  }

  /** Removes a stale lock file unless another taker is at it or it changed meanwhile; true when removed. */
  private static removeStale(path: string, stale: LockHolder | null, staleMs: number): boolean {
    const guard = `${path}.takeover`;
    if (!createExclusive(guard, `${process.pid}\n`)) {
      // A taker that died mid-takeover leaves its guard behind: clear it once it is as old as a stale lock.
      if (ageMs(guard) > staleMs) unlinkSync(guard);
      return false;
    }
    try {
      const now = readHolder(path);
      if (JSON.stringify(now) !== JSON.stringify(stale) || !isStale(path, now, staleMs)) return false;
      unlinkSync(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw error;
    } finally {
      unlinkSync(guard);
    }
  }

  /** Records the trainer process, so that a worker on this host knows when it has stopped. */
  setTrainer(pid: number | undefined): void {
    this.holder = { ...this.holder, trainerPid: pid ?? null };
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(this.holder)}\n`);
    renameSync(temp, this.path);
  }

  /** Refreshes the heartbeat; false when the lock is no longer this holder's (taken over as stale). */
  heartbeat(): boolean {
    if (!this.isMine()) return false;
    const now = new Date();
    try {
      utimesSync(this.path, now, now);
      return true;
    } catch {
      return false;
    }
  }

  private isMine(): boolean {
    const current = readHolder(this.path);
    return current !== null && current.token === this.holder.token;
  }

  release(): void {
    if (!this.isMine()) return;
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
