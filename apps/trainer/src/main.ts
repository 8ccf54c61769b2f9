import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { type AblateResult, ablate } from './ablate.js';
import { writeFileAtomic } from './atomic-write.js';
import type { ConfigPatch } from './config.js';
import { type QueueAblateResult, queueAblate } from './distributed/queue-ablate.js';
import { workerCommand } from './distributed/worker-command.js';
import { ConfigError, TrainerError } from './errors.js';
import { evalCheckpoint } from './eval-command.js';
import { addConfigOptions, flagsToPatch } from './flags.js';
import { withInterrupt } from './interrupt.js';
import { predictCommand } from './predict.js';
import { findPreset, PRESETS } from './presets.js';
import { DEFAULT_PRESET, normalizePatch, readConfigFile, resolveConfig } from './resolve.js';
import { STUDIES } from './studies.js';
import { type TrainResult, train } from './train.js';
import { version } from './version.js';

function resolveFromOptions(options: Record<string, unknown>, resume?: string) {
  const configFile = typeof options['config'] === 'string' ? readConfigFile(options['config']) : {};
  // A resumed run starts from its own saved config; a --config file and flags still override it.
  const base = resume ? readConfigFile(join(resume, 'config.json')) : {};
  return resolveConfig(flagsToPatch(options), { ...base, ...configFile });
}

/** The closing lines of a finished run: what it reached, where things are, and commands that run as shown. */
function summary(result: TrainResult, preset: string, epochs: number): string[] {
  const last = result.epochs.at(-1);
  const f = result.final;
  return [
    '',
    ...(f
      ? [
          `done: top-1 ${(100 * f.top1).toFixed(2)}%, top-5 ${(100 * f.top5).toFixed(2)}% on ${f.count} validation images after ${last?.epoch ?? '?'} epochs (${preset} preset)`,
        ]
      : []),
    `report: ${result.report}`,
    ...(result.exported
      ? [`model: ${result.exported.tfjs} (tfjs LayersModel), ${result.exported.safetensors}`]
      : []),
    `next: npx bot-train eval ${result.run}   # its top-1/top-5 again (--data <other> for another set)`,
    `      npx bot-train --config ${join(result.run, 'config.json')} --run-name none --epochs ${2 * epochs}   # the same recipe, twice as long`,
    "      npx bot-train recipes   # the paper's recipes: --preset <name> --data <folder with train/ and val/> trains one on your images",
  ];
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
      for (const line of summary(result, config.preset, config.epochs)) console.log(line);
      return 0;
    },
  );
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

function listStudies(options: Record<string, unknown>): number {
  const width = Math.max(...STUDIES.map((s) => s.name.length));
  const lines = STUDIES.map((s) => `${s.name.padEnd(width)}  ${s.summary}`);
  if (!options['list'])
    throw new ConfigError(`study = missing: pass --study <name>, one of:\n  ${lines.join('\n  ')}`);
  for (const line of lines) console.log(line);
  return 0;
}

async function runAblate(options: Record<string, unknown>): Promise<number> {
  if (options['list'] || typeof options['study'] !== 'string') return listStudies(options);
  const configFile = typeof options['config'] === 'string' ? readConfigFile(options['config']) : {};
  const overrides = { ...configFile, ...flagsToPatch(options) };
  const folder =
    typeof options['name'] === 'string' ? join(overrides.runsDir ?? 'runs', options['name']) : undefined;
  const queue = typeof options['queue'] === 'string' ? options['queue'] : undefined;
  if (options['status'] && !queue) {
    throw new ConfigError(
      'status = true: --status shows the state of a study on a queue; pass --queue redis://host:port',
    );
  }
  if (options['planOnly'] && queue) {
    throw new ConfigError(
      'planOnly = true: --plan-only writes the plan in a local study folder and trains nothing; leave out --queue',
    );
  }
  const seeds = parseSeeds(String(options['seeds']));
  const study = options['study'] as string;
  const result = await withInterrupt<AblateResult | QueueAblateResult>(
    queue
      ? 'Ctrl-C: stopped waiting; the study goes on in the queue'
      : 'Ctrl-C: the running runs save a checkpoint and stop (press again to quit without saving)',
    (signal) =>
      queue
        ? queueAblate({
            queue,
            study,
            seeds,
            overrides,
            signal,
            status: Boolean(options['status']),
            wait: options['wait'] !== false,
            ...(folder ? { folder } : {}),
          })
        : ablate({
            study,
            seeds,
            jobs: Number(options['jobs']),
            overrides,
            signal,
            ...(folder ? { folder } : {}),
            ...(options['planOnly'] ? { planOnly: true } : {}),
          }),
  );
  if (result.interrupted) return 130;
  if (result.failed.length > 0) {
    console.error(`bot-train: ${result.failed.length} run(s) failed:`);
    for (const f of result.failed) console.error(`  ${f.run}: ${f.log}`);
    console.error('run the same command again to retry them; finished runs are kept');
    return 1;
  }
  if (result.table === null) return 0;
  console.log(`plots: ${join(result.folder, 'top1.svg')}, ${join(result.folder, 'curves.svg')}`);
  return 0;
}

function listRecipes(): number {
  const width = Math.max(...PRESETS.map((p) => p.name.length));
  for (const p of PRESETS) {
    const top1 = p.paperTop1 === null ? '' : ` (paper top-1 ${p.paperTop1})`;
    console.log(`${p.name.padEnd(width)}  ${p.summary}${top1}`);
  }
  return 0;
}

/** The preset --help shows the defaults of: the one --preset names on the command line, else the default. */
function presetForHelp(argv: readonly string[]) {
  const at = argv.findIndex((a) => a === '--preset' || a.startsWith('--preset='));
  const name = at < 0 ? DEFAULT_PRESET : (argv[at]?.split('=')[1] ?? argv[at + 1] ?? DEFAULT_PRESET);
  return (findPreset(name) ?? findPreset(DEFAULT_PRESET))?.config;
}

/** --model, --depth, --variant, --width, --stem and --input-size of eval and predict, for a .safetensors file. */
function withArchitecture(command: Command): Command {
  return command
    .option('--model <name>', 'timm model name for a .safetensors file, e.g. resnet50d')
    .option('--depth <n>', 'ResNet depth of a .safetensors file')
    .option('--variant <v>', 'ResNet variant (A-D) of a .safetensors file')
    .option('--width <x>', 'width multiplier of a .safetensors file')
    .option('--stem <stem>', "'imagenet' or 'cifar' stem of a .safetensors file")
    .option('--input-size <n>', 'input side in pixels of a .safetensors file (default 224)')
    .option('--backend <name>', 'tfjs backend (auto, wasm, cpu, ...)');
}

function architectureOf(options: Record<string, unknown>): ConfigPatch {
  const picked: Record<string, unknown> = {};
  for (const key of ['model', 'depth', 'variant', 'width', 'stem', 'inputSize']) {
    const value = options[key];
    if (value !== undefined)
      picked[key] = key === 'model' || key === 'variant' || key === 'stem' ? value : Number(value);
  }
  return normalizePatch(picked, 'flags');
}

function commands(run: (work: () => Promise<number>) => void, argv: readonly string[]): Command[] {
  const train = addConfigOptions(
    new Command('train').description('train a model (the default command; with no flags: the demo preset)'),
    presetForHelp(argv),
  ).addOption(
    new Option('--resume <run>', 'continue the run in this folder from its last checkpoint').helpGroup(
      'Run:',
    ),
  );
  train.action((options) => run(() => runTrain(options)));
  const printConfig = addConfigOptions(
    new Command('print-config').description('print the fully resolved config as JSON'),
  ).action((options) =>
    run(async () => {
      console.log(JSON.stringify(resolveFromOptions(options), null, 2));
      return 0;
    }),
  );
  const ablateCommand = addConfigOptions(
    new Command('ablate').description(
      "train every row of one of the paper's ablation studies over several seeds and write its table and plots (resumable: run the same command again)",
    ),
  )
    .option('--study <name>', 'the study (see --list)')
    .option('--list', 'list the studies')
    .option('--seeds <list>', 'comma-separated seeds', '0,1,2')
    .option('--jobs <n>', 'runs trained at once, one process (one core) each', '2')
    .option('--name <folder>', 'study folder under --runs-dir (default ablate-<study>)')
    .option(
      '--queue <url>',
      'redis://host:port: hand the runs to `bot-train worker`s on any machines (docs/distributed.md)',
    )
    .option(
      '--status',
      "with --queue: show every run's state (waiting, running where, finished, failed) and exit",
    )
    .option(
      '--no-wait',
      'with --queue: return once the runs are in the queue (the same command again waits and writes the table)',
    )
    .option(
      '--plan-only',
      "train nothing: write each run's resolved config (configs/<run>.json) and plan.json, and the table of the runs already finished (for tools/reference/, the PyTorch trainer)",
    )
    .action((options) => run(() => runAblate(options)));
  const recipes = new Command('recipes')
    .description("list the presets, one per row of the paper's tables")
    .action(() => run(async () => listRecipes()));
  const evalCommand = withArchitecture(
    new Command('eval')
      .description(
        'top-1/top-5 of a run, checkpoint, export folder or timm/torchvision .safetensors on a validation split',
      )
      .argument('<model>', 'a run folder, a .ckpt, an export folder or a .safetensors file')
      .option('--data <data>', "data set (default: the checkpoint's; required for a .safetensors file)")
      .option('--val-limit <n>', 'evaluate N images spread evenly over the set')
      .option('--batch-size <n>', 'images per forward pass', '64'),
  ).action((model: string, options) =>
    run(() => evalCheckpoint(model, { ...options, architecture: architectureOf(options) })),
  );
  const predict = withArchitecture(
    new Command('predict')
      .description('top-k classes and probabilities of your images')
      .argument('<model>', 'a run folder, an export folder, a .ckpt or a .safetensors file')
      .argument('<images...>', 'image files or folders of images')
      .option('-k, --top <n>', 'classes per image', '5')
      .option('--json', 'print JSON'),
  ).action((model: string, images: string[], options) =>
    run(() =>
      predictCommand(model, images, {
        ...options,
        top: Number(options.top),
        architecture: architectureOf(options),
      }),
    ),
  );
  return [train, printConfig, ablateCommand, workerCommand(run), recipes, evalCommand, predict];
}

function exitCode(error: unknown): number {
  if (error instanceof CommanderError) {
    return error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.exitCode === 0
      ? 0
      : 2;
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

/** The command line; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('bot-train')
    .description('Reference trainer for "Bag of Tricks for Image Classification" on TensorFlow.js')
    .version(version(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError(false);
  let action: Promise<number> = Promise.resolve(0);
  const run = (work: () => Promise<number>) => {
    action = work();
  };
  for (const [i, command] of commands(run, argv).entries()) {
    command.exitOverride();
    program.addCommand(command, i === 0 ? { isDefault: true } : {});
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return await action;
  } catch (error) {
    return exitCode(error);
  }
}
