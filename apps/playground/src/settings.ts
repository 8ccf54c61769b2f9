import type { ResNetVariant } from '@bot/resnet-variants';

/** Every control of the page, as one plain object (URL query parameters override the defaults). */
export interface Settings {
  variant: ResNetVariant;
  /** Channel multiplier of the ResNet-18 (0.125: 8-16-32-64 channels, as the trainer's demo). */
  width: number;
  zeroGamma: boolean;
  noBiasDecay: boolean;
  schedule: 'cosine' | 'step';
  warmupEpochs: number;
  epochs: number;
  lr: number;
  batchSize: number;
  weightDecay: number;
  labelSmoothing: number;
  mixupAlpha: number;
  /** Smallest area fraction of RandomResizedCrop (1 with `crop` off). */
  cropScale: number;
  crop: boolean;
  flip: boolean;
  /** Brightness and contrast jitter strength (0: off). */
  jitter: number;
  /** Training images per class (of 6,000). */
  trainPerClass: number;
  /** Test images per class (of 1,000) for the accuracy. */
  testPerClass: number;
  seed: number;
  backend: 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';
  /** Stop after this many steps (0: train every epoch). */
  maxSteps: number;
}

export const DEFAULTS: Settings = {
  variant: 'D',
  width: 0.125,
  zeroGamma: true,
  noBiasDecay: true,
  schedule: 'cosine',
  warmupEpochs: 0.3,
  epochs: 3,
  lr: 0.4,
  batchSize: 256,
  weightDecay: 5e-5,
  labelSmoothing: 0.1,
  mixupAlpha: 0.2,
  cropScale: 0.5,
  crop: true,
  flip: true,
  jitter: 0,
  trainPerClass: 6000,
  testPerClass: 1000,
  seed: 0,
  backend: 'auto',
  maxSteps: 0,
};

const CHOICES: Partial<Record<keyof Settings, readonly string[]>> = {
  variant: ['A', 'B', 'C', 'D'],
  schedule: ['cosine', 'step'],
  backend: ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'],
};

/** Parses one setting from text (a form field or a query parameter); a bad value is a RangeError naming it. */
export function parseSetting<K extends keyof Settings>(key: K, text: string): Settings[K] {
  const d = DEFAULTS[key];
  if (typeof d === 'boolean') {
    if (text === 'true' || text === '1' || text === 'on') return true as Settings[K];
    if (text === 'false' || text === '0' || text === 'off') return false as Settings[K];
    throw new RangeError(`${key} must be true or false, got '${text}'`);
  }
  if (typeof d === 'number') {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`${key} must be a number >= 0, got '${text}'`);
    }
    return v as Settings[K];
  }
  const allowed: readonly string[] = CHOICES[key] ?? [];
  if (!allowed.includes(text))
    throw new RangeError(`${key} must be one of ${allowed.join(', ')}, got '${text}'`);
  return text as Settings[K];
}

/** The defaults with the query string's settings applied (`?backend=webgl&maxSteps=20`). */
export function settingsFromQuery(search: string): Settings {
  const out: Settings = { ...DEFAULTS };
  const params = new URLSearchParams(search);
  for (const key of Object.keys(DEFAULTS) as (keyof Settings)[]) {
    const v = params.get(key);
    if (v !== null) (out as unknown as Record<string, unknown>)[key] = parseSetting(key, v);
  }
  return out;
}
