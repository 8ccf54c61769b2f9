import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainConfig } from '../src/config.js';
import { resolveConfig } from '../src/resolve.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `bot-trainer-${prefix}-`));
}

/** A ResNet-18-D with 4 base channels on 16 px synthetic shapes: a few hundred ms per step on the cpu backend. */
export function tinyConfig(runsDir: string, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return resolveConfig({
    preset: 'demo',
    data: 'synthetic',
    syntheticClasses: 3,
    syntheticPerClass: 4,
    syntheticSize: 16,
    inputSize: 16,
    width: 1 / 16,
    batchSize: 4,
    lr: 0.1,
    epochs: 2,
    warmupEpochs: 0.5,
    mixupOffEpochs: 1,
    backend: 'cpu',
    workers: 2,
    replicas: 1,
    logEvery: 1,
    runsDir,
    runName: 'run',
    export: false,
    ...overrides,
  });
}
