import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import type { TrainConfig } from './config.js';
import { RunFolder } from './run-folder.js';

/** How a run's process ended, and how long it ran. */
export interface Exit {
  readonly code: number;
  readonly seconds: number;
}

/**
 * Set in the environment of a run started by `bot-train worker`: the run also stops (saving a checkpoint,
 * as on Ctrl-C) when the worker that started it dies, so that no orphan keeps writing its folder.
 */
export const STOP_WITH_PARENT = 'BOT_TRAIN_STOP_WITH_PARENT';

export interface StartRunOptions {
  /** Aborting it sends the run one SIGINT: it saves a checkpoint and exits 130. */
  readonly signal?: AbortSignal | undefined;
  /** Give the run an IPC channel and STOP_WITH_PARENT, so that it stops when this process dies. */
  readonly stopWithParent?: boolean;
  /** Called once the process exists (its pid, e.g. for a run lock). */
  readonly onSpawn?: (child: ChildProcess) => void;
}

/** Starts `bot-train train` for one run in its own process group, output to a log file. */
export function startRun(
  cli: string,
  args: readonly string[],
  log: string,
  options: StartRunOptions = {},
): Promise<Exit> {
  const { signal, stopWithParent = false } = options;
  const started = performance.now();
  const fd = openSync(log, 'a');
  // Detached: a Ctrl-C in the terminal reaches only this process, which passes exactly one SIGINT on (a
  // second one would make the run quit without saving).
  const child = spawn(process.execPath, [cli, 'train', ...args], {
    stdio: stopWithParent ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd],
    detached: true,
    ...(stopWithParent ? { env: { ...process.env, [STOP_WITH_PARENT]: '1' } } : {}),
  });
  closeSync(fd);
  options.onSpawn?.(child);
  const stop = () => child.kill('SIGINT');
  const kill = () => child.kill('SIGKILL');
  signal?.addEventListener('abort', stop, { once: true });
  process.once('exit', kill);
  return new Promise((resolve) => {
    child.on('exit', (code, sig) => {
      signal?.removeEventListener('abort', stop);
      process.off('exit', kill);
      resolve({ code: code ?? (sig === 'SIGINT' ? 130 : 1), seconds: (performance.now() - started) / 1000 });
    });
    child.on('error', () => resolve({ code: 1, seconds: 0 }));
  });
}

/**
 * Readies a study run's folder and returns the `bot-train train` arguments that (re)start it: `--resume`
 * when it has a checkpoint; otherwise a fresh start from configs/<run>.json, after removing what a run
 * killed before its first checkpoint left (nothing in it is worth keeping).
 */
export async function runArguments(
  run: { readonly name: string; readonly config: TrainConfig },
  folder: string,
): Promise<string[]> {
  const runDir = new RunFolder(join(folder, run.name));
  if (existsSync(runDir.checkpoint)) return ['--resume', runDir.root];
  if (existsSync(runDir.root)) rmSync(runDir.root, { recursive: true, force: true });
  return ['--config', await writeRunConfig(run, folder)];
}

/** Writes a study run's resolved config to configs/<run>.json in the study folder; returns its path. */
export async function writeRunConfig(
  run: { readonly name: string; readonly config: TrainConfig },
  folder: string,
): Promise<string> {
  const configFile = join(folder, 'configs', `${run.name}.json`);
  await writeFileAtomic(configFile, `${JSON.stringify(run.config, null, 2)}\n`);
  return configFile;
}

/** The study's timing log (timing.jsonl): one line per process a run took. */
export function recordExit(folder: string, run: string, exit: Exit): void {
  appendFileSync(
    join(folder, 'timing.jsonl'),
    `${JSON.stringify({ run, seconds: exit.seconds, code: exit.code })}\n`,
  );
}
