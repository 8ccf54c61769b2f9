import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ablate } from './ablate.js';
import { writeFileAtomic } from './atomic-write.js';
import { ConfigError, TrainerError } from './errors.js';
import { evalCheckpoint } from './eval-command.js';
import { addConfigOptions, flagsToPatch } from './flags.js';
import { PRESETS } from './presets.js';
import { readConfigFile, resolveConfig } from './resolve.js';
import { STUDIES } from './studies.js';
import { train } from './train.js';

function resolveFromOptions(options: Record<string, unknown>, resume?: string) {
  const configFile = typeof options['config'] === 'string' ? readConfigFile(options['config']) : {};
  // A resumed run starts from its own saved config; a --config file and flags still override it.
  const base = resume ? readConfigFile(join(resume, 'config.json')) : {};
  return resolveConfig(flagsToPatch(options), { ...base, ...configFile });
}

async function runTrain(options: Record<string, unknown>): Promise<number> {
  const resume = typeof options['resume'] === 'string' ? options['resume'] : undefined;
  if (resume && !existsSync(join(resume, 'config.json'))) {
    throw new TrainerError(`--resume ${resume}: not a run folder (no config.json)`, 2);
  }
  const config = resolveFromOptions(options, resume);
  if (resume) await writeFileAtomic(join(resume, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return withInterrupt(
    'Ctrl-C: finishing this step and saving a checkpoint (press again to quit without saving)',
    async (signal) => {
      const result = await train(config, { ...(resume ? { resume } : {}), signal });
      if (result.interrupted) return 130;
      const last = result.epochs.at(-1);
      console.log('');
      if (result.final) {
        console.log(
          `done: top-1 ${(100 * result.final.top1).toFixed(2)}%, top-5 ${(100 * result.final.top5).toFixed(2)}% on ${result.final.count} validation images after ${last?.epoch ?? config.epochs} epochs (${config.preset} preset)`,
        );
      }
      console.log(`report: ${result.report}`);
      if (result.exported)
        console.log(`model: ${result.exported.tfjs} (tfjs LayersModel), ${result.exported.safetensors}`);
      console.log(
        "next: `bot-train --epochs 6` trains the demo longer; `bot-train recipes` lists the paper's recipes;",
      );
      console.log(
        '      `bot-train --preset resnet50-d --data <root with train/ and val/>` trains on your own ImageFolder',
      );
      return 0;
    },
  );
}

/** Ctrl-C (or SIGTERM) aborts the signal once; a second Ctrl-C quits at once. */
async function withInterrupt<T>(message: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    process.stderr.write(`\n${message}\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((t) => Number(t.trim()));
  if (text.trim() === '' || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new ConfigError(
      `seeds = ${JSON.stringify(text)}: must be comma-separated non-negative integers, e.g. 0,1,2`,
    );
  }
  return seeds;
}

async function runAblate(options: Record<string, unknown>): Promise<number> {
  if (options['list'] || typeof options['study'] !== 'string') {
    const width = Math.max(...STUDIES.map((s) => s.name.length));
    const lines = STUDIES.map((s) => `${s.name.padEnd(width)}  ${s.summary}`);
    if (options['list']) {
      for (const line of lines) console.log(line);
      return 0;
    }
    throw new ConfigError(`study = missing: pass --study <name>, one of:\n  ${lines.join('\n  ')}`);
  }
  const jobs = Number(options['jobs']);
  const seeds = parseSeeds(String(options['seeds']));
  const configFile = typeof options['config'] === 'string' ? readConfigFile(options['config']) : {};
  const overrides = { ...configFile, ...flagsToPatch(options) };
  const runsDir = overrides.runsDir ?? 'runs';
  const folder = typeof options['name'] === 'string' ? join(runsDir, options['name']) : undefined;
  const result = await withInterrupt(
    'Ctrl-C: the running runs save a checkpoint and stop (press again to quit without saving)',
    (signal) =>
      ablate({
        study: options['study'] as string,
        seeds,
        jobs,
        overrides,
        signal,
        ...(folder ? { folder } : {}),
      }),
  );
  if (result.interrupted) return 130;
  if (result.failed.length > 0) {
    console.error(`bot-train: ${result.failed.length} run(s) failed:`);
    for (const f of result.failed) console.error(`  ${f.run}: ${f.log}`);
    console.error('run the same command again to retry them; finished runs are kept');
    return 1;
  }
  console.log(`plots: ${join(result.folder, 'top1.svg')}, ${join(result.folder, 'curves.svg')}`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('bot-train')
    .description('Reference trainer for "Bag of Tricks for Image Classification" on TensorFlow.js')
    .exitOverride()
    .showHelpAfterError(false);

  const trainCommand = addConfigOptions(
    new Command('train').description('train a model (the default command; with no flags: the demo preset)'),
  )
    .option('--resume <run>', 'continue the run in this folder from its last checkpoint')
    .exitOverride();
  let action: Promise<number> = Promise.resolve(0);
  trainCommand.action((options) => {
    action = runTrain(options);
  });
  program.addCommand(trainCommand, { isDefault: true });

  program.addCommand(
    addConfigOptions(new Command('print-config').description('print the fully resolved config as JSON'))
      .exitOverride()
      .action((options) => {
        action = (async () => {
          console.log(JSON.stringify(resolveFromOptions(options), null, 2));
          return 0;
        })();
      }),
  );

  program.addCommand(
    addConfigOptions(
      new Command('ablate').description(
        "train every row of one of the paper's ablation studies over several seeds and write its table and plots (resumable: run the same command again)",
      ),
    )
      .option('--study <name>', 'the study (see --list)')
      .option('--list', 'list the studies')
      .option('--seeds <list>', 'comma-separated seeds', '0,1,2')
      .option('--jobs <n>', 'runs trained at once, one process (one core) each', '2')
      .option('--name <folder>', 'study folder under --runs-dir (default ablate-<study>)')
      .exitOverride()
      .action((options) => {
        action = runAblate(options);
      }),
  );

  program.addCommand(
    new Command('recipes')
      .description("list the presets, one per row of the paper's tables")
      .exitOverride()
      .action(() => {
        action = (async () => {
          const width = Math.max(...PRESETS.map((p) => p.name.length));
          for (const p of PRESETS) {
            const top1 = p.paperTop1 === null ? '' : ` (paper top-1 ${p.paperTop1})`;
            console.log(`${p.name.padEnd(width)}  ${p.summary}${top1}`);
          }
          return 0;
        })();
      }),
  );

  program.addCommand(
    new Command('eval')
      .description('top-1/top-5 of a checkpoint (or a run folder) on the validation split of a data set')
      .argument('<checkpoint>', 'a .ckpt file or a run folder')
      .option('--data <data>', "data set (default: the checkpoint's)")
      .option('--val-limit <n>', 'evaluate N images spread evenly over the set')
      .option('--batch-size <n>', 'images per forward pass', '64')
      .option('--backend <name>', 'tfjs backend (auto, wasm, cpu, ...)')
      .exitOverride()
      .action((checkpoint: string, options) => {
        action = evalCheckpoint(checkpoint, options);
      }),
  );

  try {
    await program.parseAsync(argv, { from: 'user' });
    return await action;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
      ) {
        return 0;
      }
      return 2;
    }
    if (error instanceof TrainerError) {
      console.error(`bot-train: ${error.message}`);
      return error.exitCode;
    }
    // The packages throw RangeError for a bad value (e.g. an input size too small for the stem).
    if (error instanceof RangeError) {
      console.error(`bot-train: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
