#!/usr/bin/env node
// A committed shim, so that `npm install` links `bot-train` (npx bot-train) in a fresh clone: dist/ does not
// exist at install time, and npm links no bin whose target is missing. In the repository, the first call
// builds the workspace (turbo, cached) when the CLI is not built yet.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
const root = fileURLToPath(new URL('../../../', import.meta.url));
if (!existsSync(cli) && existsSync(`${root}turbo.json`)) {
  console.error('bot-train: building the workspace first (npm run build; once)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const build = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
if (!existsSync(cli)) {
  console.error('bot-train: the app is not built: run `npm run build` in the repository first');
  process.exit(1);
}
await import(cli.href);
