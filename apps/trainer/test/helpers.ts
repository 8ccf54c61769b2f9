import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, vi } from 'vitest';
import type { TrainConfig } from '../src/config.js';
import { resolveConfig } from '../src/resolve.js';

const created: string[] = [];

// Vitest evaluates this module once per test file, so each file removes the folders it made.
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under the OS temp dir, removed when the test file's tests are done. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bot-trainer-${prefix}-`));
  created.push(dir);
  return dir;
}

/** A ResNet-18-D with 4 base channels on 16 px synthetic shapes: a few hundred ms per step on the cpu backend. */
export function tinyConfig(runsDir: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return resolveConfig({
    preset: 'demo',
    data: 'synthetic',
    syntheticClasses: 3,
    syntheticPerClass: 4,
    syntheticSize: 16,
    inputSize: 16,
    width: 1 / 16,
    batchSize: 4,
    lr: 0.1,
    epochs: 2,
    warmupEpochs: 0.5,
    mixupOffEpochs: 1,
    backend: 'cpu',
    workers: 2,
    replicas: 1,
    logEvery: 1,
    runsDir,
    runName: 'run',
    export: false,
    ...overrides,
  });
}

/** Collects console.log/error and stdout/stderr writes (restore with vi.restoreAllMocks()). */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args) => void out.push(args.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...args) => void err.push(args.join(' ')));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  return { out, err };
}

/** The built CLI the tests run (`npm test` builds it first). */
export const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Runs the built `bot-train` CLI in its own process; onLine sees each output line and can send SIGINT. */
export function runCli(
  args: string[],
  cwd: string,
  onLine?: (line: string, kill: () => void) => void,
  env: Record<string, string> = {},
) {
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env: { ...process.env, ...env } });
    let out = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      for (const line of text.split('\n')) onLine?.(line, () => child.kill('SIGINT'));
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** The loss of every step line of a run's metrics.jsonl, in order. */
export function stepLosses(run: string): number[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.type === 'step')
    .map((r) => r.loss as number);
}
