import { type Command, Option } from 'commander';
import { type ConfigPatch, FIELD_HELP, type TrainConfig } from './config.js';

type Kind = 'number' | 'nullable-number' | 'string' | 'nullable-string' | 'boolean' | 'list';

const KINDS: Record<keyof TrainConfig, Kind> = {
  preset: 'string',
  data: 'string',
  trainLimit: 'nullable-number',
  valLimit: 'nullable-number',
  syntheticClasses: 'number',
  syntheticPerClass: 'number',
  syntheticSize: 'number',
  depth: 'number',
  variant: 'string',
  width: 'number',
  stem: 'string',
  inputSize: 'number',
  zeroGamma: 'boolean',
  init: 'string',
  epochs: 'number',
  batchSize: 'number',
  accumulate: 'number',
  lr: 'number',
  momentum: 'number',
  nesterov: 'boolean',
  weightDecay: 'number',
  noBiasDecay: 'boolean',
  schedule: 'string',
  milestones: 'list',
  stepGamma: 'number',
  warmupEpochs: 'number',
  labelSmoothing: 'number',
  smoothing: 'string',
  mixupAlpha: 'number',
  mixupOffEpochs: 'number',
  teacher: 'nullable-string',
  teacherDepth: 'number',
  teacherVariant: 'string',
  teacherWidth: 'number',
  distillTemperature: 'number',
  distillWeight: 'number',
  distillForm: 'string',
  fp16: 'boolean',
  initLossScale: 'number',
  seed: 'number',
  workers: 'number',
  replicas: 'number',
  backend: 'string',
  logEvery: 'number',
  runsDir: 'string',
  runName: 'nullable-string',
  export: 'boolean',
};

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A number when the text is one; otherwise the text itself, so validation can name the bad value. */
function toNumber(text: string): number | string {
  const trimmed = text.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : text;
}

function isNull(text: string): boolean {
  return text === 'none' || text === 'null' || text === '';
}

/** Adds one option per config field, e.g. --batch-size <n>, --zero-gamma / --no-zero-gamma. */
export function addConfigOptions(command: Command): Command {
  command.option('--config <file>', 'JSON config file with any of the fields below (flags win)');
  for (const [field, kind] of Object.entries(KINDS) as [keyof TrainConfig, Kind][]) {
    const help = FIELD_HELP[field];
    if (field === 'noBiasDecay') {
      // Commander reads --no-X as the negation of --X, so this field's flags are --no-bias-decay / --bias-decay.
      // The positive flag first, so that commander leaves the value undefined (not true) when neither is given.
      command.addOption(new Option('--bias-decay', 'weight decay on every parameter').hideHelp());
      command.addOption(new Option('--no-bias-decay', 'no weight decay on biases and BN gamma/beta'));
      continue;
    }
    const flag = `--${kebab(field)}`;
    if (kind === 'boolean') {
      command.addOption(new Option(flag, help));
      command.addOption(new Option(`--no-${kebab(field)}`, `turn off: ${help}`).hideHelp());
    } else if (kind === 'number') {
      command.addOption(new Option(`${flag} <n>`, help).argParser(toNumber));
    } else if (kind === 'nullable-number') {
      // commander turns a parser's null into '', so 'none' stays text here and becomes null in flagsToPatch.
      command.addOption(
        new Option(`${flag} <n>`, `${help} ('none' for all)`).argParser((t) =>
          isNull(t) ? 'none' : toNumber(t),
        ),
      );
    } else if (kind === 'nullable-string') {
      command.addOption(new Option(`${flag} <value>`, `${help} ('none' for off)`));
    } else if (kind === 'list') {
      command.addOption(
        new Option(`${flag} <list>`, `${help} (comma-separated)`).argParser((t) =>
          t.trim() === '' ? [] : t.split(',').map(toNumber),
        ),
      );
    } else {
      command.addOption(new Option(`${flag} <value>`, help));
    }
  }
  return command;
}

/** The config fields set on the command line (commander's option values, renamed to config fields). */
export function flagsToPatch(options: Record<string, unknown>): ConfigPatch {
  const patch: Record<string, unknown> = {};
  for (const [field, kind] of Object.entries(KINDS)) {
    if (field === 'noBiasDecay') continue;
    const value = options[field];
    if (value === undefined) continue;
    const nullable = kind === 'nullable-number' || kind === 'nullable-string';
    patch[field] = nullable && typeof value === 'string' && isNull(value) ? null : value;
  }
  if (options['biasDecay'] !== undefined) patch['noBiasDecay'] = !options['biasDecay'];
  return patch as ConfigPatch;
}
