import { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { withInterrupt } from '../interrupt.js';
import { runWorker } from './worker.js';

function integerFlag(name: string, text: string, low: number, high: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < low || value > high) {
    throw new ConfigError(`${name} = ${JSON.stringify(text)}: must be an integer from ${low} to ${high}`);
  }
  return value;
}

/** `bot-train worker`: trains the runs of the studies in a queue, on this machine, until stopped. */
export function workerCommand(run: (work: () => Promise<number>) => void): Command {
  return new Command('worker')
    .description(
      'train runs that `bot-train ablate --queue` put in a Redis queue, on this machine, into the shared --runs-dir, until Ctrl-C (docs/distributed.md)',
    )
    .requiredOption('--queue <url>', 'redis://host:port of the queue')
    .option('--runs-dir <dir>', 'the runs folder every machine shares (the enqueuer’s --runs-dir)', 'runs')
    .option('--concurrency <n>', 'runs trained at once, one process each', '1')
    .option(
      '--lock-seconds <s>',
      "a job's lock time: a dead worker's job goes back to the queue after about this, its run folder's lock after twice this",
      '30',
    )
    .action((options: Record<string, string>) =>
      run(async () => {
        const concurrency = integerFlag('concurrency', options['concurrency']!, 1, 64);
        const lockSeconds = integerFlag('lock-seconds', options['lockSeconds']!, 2, 86_400);
        return withInterrupt(
          'Ctrl-C: the running runs save a checkpoint and go back to the queue (press again to quit at once)',
          (signal) =>
            runWorker({
              queue: options['queue']!,
              runsDir: options['runsDir']!,
              concurrency,
              lockSeconds,
              signal,
            }),
        );
      }),
    );
}
