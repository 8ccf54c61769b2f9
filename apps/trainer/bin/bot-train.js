#!/usr/bin/env node
// A committed shim, so that `npm install` links `bot-train` (npx bot-train) in a fresh clone: dist/ does not
// exist at install time, and npm links no bin whose target is missing.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('bot-train: the app is not built yet: run `npm run build` in the repository first');
  process.exit(1);
}
await import(cli.href);
