import { type Command, Option } from 'commander';
import { type ConfigPatch, FIELDS, GROUPS, type TrainConfig } from './config.js';
import { normalizePatch } from './resolve.js';

type Kind = 'number' | 'nullable-number' | 'string' | 'nullable-string' | 'boolean' | 'list' | 'pair';

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
  initialCheckpoint: 'nullable-string',
  aug: 'string',
  scale: 'pair',
  ratio: 'pair',
  hflip: 'number',
  colorJitter: 'number',
  pcaNoise: 'number',
  interpolation: 'string',
  augmentOn: 'string',
  epochs: 'number',
  batchSize: 'number',
  accumulate: 'number',
  lr: 'number',
  lrBase: 'nullable-number',
  momentum: 'number',
  nesterov: 'boolean',
  weightDecay: 'number',
  noBiasDecay: 'boolean',
  clipGrad: 'nullable-number',
  schedule: 'string',
  milestones: 'list',
  stepGamma: 'number',
  warmupEpochs: 'number',
  labelSmoothing: 'number',
  smoothingForm: 'string',
  mixupAlpha: 'number',
  cutmixAlpha: 'number',
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

/** The flags timm and torchvision users type, as aliases of config fields (or of what sets them). */
export const ALIASES: readonly {
  flag: string;
  option: string;
  field: string;
  help: string;
  value?: string;
}[] = [
  { flag: '-b <n>', option: 'b', field: 'batchSize', help: 'alias of --batch-size' },
  { flag: '-j <n>', option: 'j', field: 'workers', help: 'alias of --workers' },
  { flag: '--amp', option: 'amp', field: 'fp16', help: 'alias of --fp16 (emulated mixed precision)' },
  {
    flag: '--model <name>',
    option: 'model',
    field: 'model',
    help: "timm's model name: resnet<depth>[a|b|c|d] sets --depth and --variant (resnet50d = 50, D)",
  },
  { flag: '--output <dir>', option: 'output', field: 'runsDir', help: 'alias of --runs-dir' },
  {
    flag: '--smoothing <eps>',
    option: 'smoothing',
    field: 'labelSmoothing',
    help: "timm's alias of --label-smoothing",
  },
  { flag: '--mixup <alpha>', option: 'mixup', field: 'mixupAlpha', help: "timm's alias of --mixup-alpha" },
  {
    flag: '--cutmix <alpha>',
    option: 'cutmix',
    field: 'cutmixAlpha',
    help: "timm's alias of --cutmix-alpha",
  },
];

const ALIAS_GROUP: Record<string, (typeof GROUPS)[number]> = {
  batchSize: 'Optimization',
  workers: 'Run',
  fp16: 'Precision',
  model: 'Model',
  runsDir: 'Run',
  labelSmoothing: 'Regularization and distillation',
  mixupAlpha: 'Regularization and distillation',
  cutmixAlpha: 'Regularization and distillation',
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

function shown(value: unknown): string {
  if (value === null) return 'none';
  if (Array.isArray(value))
    return value.length === 0 ? '(empty)' : value.map((v) => +Number(v).toFixed(4)).join(',');
  return String(value);
}

/** The commander option of one field, with its help line, section and the preset's value. */
function fieldOption(field: keyof TrainConfig, kind: Kind, preset: TrainConfig | undefined): Option[] {
  const { help, group } = FIELDS[field];
  const flag = `--${kebab(field)}`;
  const withDefault = (text: string) =>
    preset === undefined ? text : `${text} (${preset.preset}: ${shown(preset[field])})`;
  const grouped = (o: Option) => o.helpGroup(`${group}:`);
  if (field === 'noBiasDecay') {
    // Commander reads --no-X as the negation of --X, so this field's flags are --no-bias-decay / --bias-decay.
    // The positive flag first, so that commander leaves the value undefined (not true) when neither is given.
    return [
      new Option('--bias-decay', 'weight decay on every parameter').hideHelp(),
      grouped(new Option('--no-bias-decay', withDefault(help))),
    ];
  }
  if (kind === 'boolean') {
    return [
      grouped(new Option(flag, withDefault(help))),
      new Option(`--no-${kebab(field)}`, `off: ${help}`).hideHelp(),
    ];
  }
  const parsers: Record<
    Exclude<Kind, 'boolean'>,
    [string, ((t: string, prev?: unknown) => unknown) | null]
  > = {
    number: [`${flag} <n>`, toNumber],
    // commander turns a parser's null into '', so 'none' stays text here and becomes null in flagsToPatch.
    'nullable-number': [`${flag} <n>`, (t) => (isNull(t) ? 'none' : toNumber(t))],
    'nullable-string': [`${flag} <value>`, null],
    string: [`${flag} <value>`, null],
    list: [`${flag} <list>`, (t) => (t.trim() === '' ? [] : t.split(',').map(toNumber))],
    // timm's `--scale 0.08 1` or `--scale 0.08,1`.
    pair: [
      `${flag} <min,max...>`,
      (t, prev) => [...((Array.isArray(prev) ? prev : []) as unknown[]), ...t.split(',').map(toNumber)],
    ],
  };
  const [spec, parse] = parsers[kind];
  const suffix = kind === 'nullable-number' || kind === 'nullable-string' ? " ('none' for off)" : '';
  const option = grouped(new Option(spec, withDefault(`${help}${suffix}`)));
  return [parse ? option.argParser(parse as (value: string, previous: unknown) => unknown) : option];
}

/**
 * Adds one option per config field (--batch-size <n>, --zero-gamma / --no-zero-gamma), timm's aliases,
 * and --config, grouped by section in --help, each showing the preset's value.
 */
export function addConfigOptions(command: Command, preset?: TrainConfig): Command {
  // Section by section, in GROUPS order (commander lists the sections in the order it meets them).
  const fields = (Object.entries(KINDS) as [keyof TrainConfig, Kind][]).sort(
    ([a], [b]) => GROUPS.indexOf(FIELDS[a].group) - GROUPS.indexOf(FIELDS[b].group),
  );
  for (const [field, kind] of fields) {
    for (const option of fieldOption(field, kind, preset)) command.addOption(option);
  }
  command.addOption(
    new Option(
      '--config <file>',
      'YAML or JSON config file with any of the fields (camelCase or snake_case; flags win)',
    ).helpGroup('Run:'),
  );
  for (const alias of ALIASES) {
    const option = new Option(alias.flag, alias.help).helpGroup(`${ALIAS_GROUP[alias.field] ?? 'Run'}:`);
    const kind = KINDS[alias.field as keyof TrainConfig];
    command.addOption(kind === 'number' ? option.argParser(toNumber) : option);
  }
  return command;
}

/** The config fields set on the command line (commander's option values, renamed to config fields). */
export function flagsToPatch(options: Record<string, unknown>): ConfigPatch {
  const patch: Record<string, unknown> = {};
  for (const alias of ALIASES) {
    if (options[alias.option] !== undefined) patch[alias.field] = options[alias.option];
  }
  for (const [field, kind] of Object.entries(KINDS)) {
    if (field === 'noBiasDecay') continue;
    const value = options[field];
    if (value === undefined) continue;
    const nullable = kind === 'nullable-number' || kind === 'nullable-string';
    patch[field] = nullable && typeof value === 'string' && isNull(value) ? null : value;
  }
  if (options['biasDecay'] !== undefined) patch['noBiasDecay'] = !options['biasDecay'];
  return normalizePatch(patch, 'flags');
}
