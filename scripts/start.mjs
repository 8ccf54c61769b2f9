#!/usr/bin/env node
// `npm start`: builds the workspace (cached) and runs `bot-train` with the arguments given after `--`;
// with none, it trains the embedded Fashion-MNIST demo.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], {
  cwd: repo,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);
const cli = resolve(repo, 'apps/trainer/dist/cli.js');
// Ctrl-C reaches bot-train through the terminal's process group; it saves a checkpoint before exiting, so
// this wrapper must not die first.
process.on('SIGINT', () => {});
const run = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
