import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type ConfigPatch, type TrainConfig, trainConfigSchema } from './config.js';
import { ConfigError } from './errors.js';
import { findPreset, PRESET_NAMES } from './presets.js';

export const DEFAULT_PRESET = 'demo';

/** snake_case or kebab-case to the config's camelCase. */
export function camelCase(key: string): string {
  return key.replace(/[-_]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** timm's model names: resnet50, resnet50d, resnet101c, ... */
export function parseModelName(name: string): { depth: number; variant: TrainConfig['variant'] } | null {
  const match = /^resnet(\d+)([abcd])?$/i.exec(name.trim());
  if (!match) return null;
  return { depth: Number(match[1]), variant: (match[2] ?? 'a').toUpperCase() as TrainConfig['variant'] };
}

/**
 * Turns what a user wrote (a config file, flags) into config fields: camelCase or snake_case keys, and
 * timm's names: `smoothing` <number> = labelSmoothing (a string is the older smoothingForm), `model:
 * resnet50d` = depth 50 + variant D, `amp` = fp16, `output` = runsDir, `cutmix` = cutmixAlpha.
 */
export function normalizePatch(raw: Record<string, unknown>, where: string): ConfigPatch {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const field = camelCase(key);
    if (field === 'smoothing') out[typeof value === 'string' ? 'smoothingForm' : 'labelSmoothing'] = value;
    else if (field === 'amp') out['fp16'] = value;
    else if (field === 'output') out['runsDir'] = value;
    else if (field === 'cutmix') out['cutmixAlpha'] = value;
    else if (field === 'model') {
      const model = parseModelName(String(value));
      if (!model) {
        throw new ConfigError(
          `model = ${JSON.stringify(value)} (${where}): not a ResNet name; use resnet<depth>[a|b|c|d], e.g. resnet50d`,
        );
      }
      Object.assign(out, model);
    } else out[field] = value;
  }
  return out as ConfigPatch;
}

/** Reads a YAML or JSON config file: any subset of the config fields (camelCase or snake_case). */
export function readConfigFile(path: string): ConfigPatch {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`config: cannot read ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
  const json = /\.json$/i.test(path);
  let parsed: unknown;
  try {
    parsed = json ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      `config: ${JSON.stringify(path)} is not valid ${json ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config: ${JSON.stringify(path)} must hold an object (a mapping) of config fields`);
  }
  return normalizePatch(parsed as Record<string, unknown>, JSON.stringify(path));
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string {
  const field = issue.path.map(String).join('.') || '(config)';
  if (issue.code === 'unrecognized_keys') {
    return `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; allowed fields: ${Object.keys(trainConfigSchema.shape).join(', ')}`;
  }
  let value: unknown = raw;
  for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key as string];
  const shown = value === undefined ? 'missing' : JSON.stringify(value);
  return `${field} = ${shown}: ${issue.message}`;
}

/**
 * The fields a preset derives from its epochs follow the user's --epochs when the user did not set them:
 * mixup stays on for the preset's share of the epochs, and a warmup that would not fit shrinks in
 * proportion.
 */
function followEpochs(preset: TrainConfig, user: ConfigPatch): ConfigPatch {
  const epochs = user.epochs;
  if (typeof epochs !== 'number' || epochs === preset.epochs || !(epochs > 0)) return {};
  const derived: ConfigPatch = {};
  if (user.mixupOffEpochs === undefined && preset.mixupOffEpochs > 0) {
    derived.mixupOffEpochs = Math.round((preset.mixupOffEpochs * epochs) / preset.epochs);
  }
  if (user.warmupEpochs === undefined && preset.warmupEpochs >= epochs) {
    derived.warmupEpochs = (preset.warmupEpochs * epochs) / preset.epochs;
  }
  return derived;
}

/** --lr-base: lr = lrBase x batchSize / 256 (the paper's linear scaling), unless --lr is given too. */
function scaledLr(merged: Record<string, unknown>, user: ConfigPatch): ConfigPatch {
  if (user.lrBase === undefined || user.lrBase === null) return {};
  const batchSize = merged['batchSize'];
  if (typeof batchSize !== 'number') return {};
  const lr = (user.lrBase * batchSize) / 256;
  // A resumed run's saved config holds both, and they agree.
  if (user.lr !== undefined && user.lr !== lr) {
    throw new ConfigError(
      `lr = ${user.lr} and lrBase = ${user.lrBase}: give one of --lr (the rate itself) and --lr-base (per 256 images)`,
    );
  }
  return { lr };
}

/**
 * preset (named by the flags, else the file, else `demo`) < config file < flags, then validation.
 * Throws a ConfigError naming every bad field, its value and what is allowed.
 */
export function resolveConfig(flags: ConfigPatch = {}, file: ConfigPatch = {}): TrainConfig {
  const presetName = flags.preset ?? file.preset ?? DEFAULT_PRESET;
  const preset = findPreset(presetName);
  if (!preset) {
    throw new ConfigError(
      `preset = ${JSON.stringify(presetName)}: unknown preset; allowed: ${PRESET_NAMES.join(', ')}`,
    );
  }
  const user = {
    ...normalizePatch(file as Record<string, unknown>, 'config file'),
    ...normalizePatch(flags as Record<string, unknown>, 'flags'),
  };
  const merged: Record<string, unknown> = { ...preset.config, ...user, preset: presetName };
  const raw: Record<string, unknown> = {
    ...merged,
    ...followEpochs(preset.config, user),
    ...scaledLr(merged, user),
  };
  const result = trainConfigSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => describeIssue(issue, raw));
    if (raw['data'] === '') {
      lines.push(`the ${presetName} preset needs --data <ImageFolder root with train/ and val/>`);
    }
    throw new ConfigError(`invalid config:\n  ${lines.join('\n  ')}`);
  }
  if (presetName.includes('distill') && result.data.teacher === null) {
    throw new ConfigError(
      `teacher = null: the ${presetName} preset distils from a teacher; pass --teacher <checkpoint.ckpt or model.safetensors>`,
    );
  }
  return result.data;
}
