import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { type ConfigPatch, type TrainConfig, trainConfigSchema } from './config.js';
import { ConfigError } from './errors.js';
import { findPreset, PRESET_NAMES } from './presets.js';

export const DEFAULT_PRESET = 'demo';

/** Reads a JSON config file: any subset of the config fields, validated with the rest. */
export function readConfigFile(path: string): ConfigPatch {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`config: cannot read ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config: ${JSON.stringify(path)} is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config: ${JSON.stringify(path)} must hold a JSON object of config fields`);
  }
  return parsed as ConfigPatch;
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
  const raw: Record<string, unknown> = { ...preset.config, ...file, ...flags, preset: presetName };
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
