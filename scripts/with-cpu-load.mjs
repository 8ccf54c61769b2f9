#!/usr/bin/env node
// Runs a command while other processes keep every core busy, then stops them: the proof that the tests do
// not depend on the machine's speed (a developer's machine running CI is often busy).
//   node scripts/with-cpu-load.mjs [--busy N] -- <command> [args...]
//   npm run test:under-load            (= node scripts/with-cpu-load.mjs -- npm test)
// N defaults to the number of cores; each busy process is a `node -e` spin loop. Prints how much CPU the
// busy loops took (Linux: from /proc), and exits with the command's exit status.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const options = dash >= 0 ? argv.slice(0, dash) : [];
const command = dash >= 0 ? argv.slice(dash + 1) : argv;
if (command.length === 0) {
  console.error('usage: node scripts/with-cpu-load.mjs [--busy N] -- <command> [args...]');
  process.exit(2);
}
const busyAt = options.indexOf('--busy');
const busyCount = busyAt >= 0 ? Number(options[busyAt + 1]) : availableParallelism();
if (!Number.isInteger(busyCount) || busyCount < 1) {
  console.error(`--busy must be an integer >= 1, got ${options[busyAt + 1]}`);
  process.exit(2);
}

/** CPU seconds (user + system) a process has used so far, from /proc (null where there is none). */
function cpuSeconds(pid) {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return null;
  // Fields after the parenthesised command name: state is field 3, utime 14 and stime 15.
  const fields = readFileSync(file, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const busy = Array.from({ length: busyCount }, () =>
  spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
);
let stopped = false;
function stopBusy() {
  if (stopped) return [];
  stopped = true;
  const used = busy.map((child) => cpuSeconds(child.pid));
  for (const child of busy) child.kill('SIGKILL');
  return used;
}
process.on('exit', stopBusy);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopBusy();
    process.exit(130);
  });
}

console.log(
  `with-cpu-load: ${busyCount} busy loop(s) (pids ${busy.map((c) => c.pid).join(', ')}) on ${availableParallelism()} core(s); running: ${command.join(' ')}`,
);
const started = Date.now();
const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
child.on('exit', (code, signal) => {
  const used = stopBusy();
  const seconds = (Date.now() - started) / 1000;
  const total = used.every((u) => u !== null) ? used.reduce((a, b) => a + b, 0) : null;
  const load =
    total === null
      ? ''
      : `; the busy loops used ${total.toFixed(0)} CPU-s (${((100 * total) / seconds / availableParallelism()).toFixed(0)}% of all cores over the run)`;
  console.log(
    `with-cpu-load: \`${command.join(' ')}\` exited ${signal ?? code} after ${seconds.toFixed(0)} s under load${load}`,
  );
  process.exit(code ?? 1);
});
