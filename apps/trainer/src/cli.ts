#!/usr/bin/env node
import { availableParallelism } from 'node:os';

// sharp decodes on libuv's thread pool, 4 threads unless set before its first use: one per core, so that
// the loader's concurrent decodes can keep a GPU busy.
process.env['UV_THREADPOOL_SIZE'] ??= String(Math.max(4, availableParallelism()));
const { main } = await import('./main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
