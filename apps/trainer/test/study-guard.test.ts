// The reproducibility guard of docs/RESULTS.md. Its tables are a function of the command on a given build,
// and a change of float32 rounding anywhere in the step (a kernel's summation order, an op's formula, the
// augmentation's pixels) moves them, sometimes by many points. This test trains a one-epoch miniature of a
// row of each study through the same path as `bot-train ablate` (the study's resolved config, the CLI in
// its own process, the wasm backend) and compares every epoch figure with the committed values to the
// last bit, on both GEMM paths of the wasm convolutions: XNNPACK (BOT_WASM_FMA=0, the kernels the
// tables were trained with) and the default (@bot/backend's microkernels). When it fails on purpose,
// regenerate the values and the tables together:
//   npm run guard:update -w @bot/trainer      (then rerun the studies as docs/RESULTS.md says)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planStudy } from '../src/ablate.js';
import type { ConfigPatch } from '../src/config.js';
import { findStudy } from '../src/studies.js';
import { runCli, tempDir } from './helpers.js';

interface GuardedRow {
  readonly study: string;
  readonly row: string;
  /** What shrinks the row to a few seconds; everything else is the study's own config for the row. */
  readonly miniature: ConfigPatch;
}

const fashion = { trainLimit: 512, valLimit: 500, batchSize: 64 } satisfies ConfigPatch;

const GUARDED: readonly GuardedRow[] = [
  { study: 'model-tweaks', row: 'ResNet-50-C', miniature: { syntheticPerClass: 64, batchSize: 32 } },
  { study: 'model-tweaks', row: 'ResNet-50-D', miniature: { syntheticPerClass: 64, batchSize: 32 } },
  { study: 'refinements', row: '+mixup', miniature: { ...fashion, mixupOffEpochs: 0 } },
  { study: 'efficient-training', row: '+fp16', miniature: fashion },
];

/** The wasm convolutions' GEMM paths the guard trains on, with the environment that selects each. */
const PATHS = {
  'tables (BOT_WASM_FMA=0)': { BOT_WASM_FMA: '0' },
  default: {},
} as const satisfies Record<string, Record<string, string>>;

/** Trains the row's miniature as `bot-train ablate` would and returns its epoch record. */
async function trainMiniature(
  guarded: GuardedRow,
  folder: string,
  env: Record<string, string>,
): Promise<Record<string, number>> {
  const study = findStudy(guarded.study);
  if (!study) throw new Error(`unknown study ${guarded.study}`);
  const overrides: ConfigPatch = {
    ...guarded.miniature,
    epochs: 1,
    milestones: [],
    backend: 'wasm',
    workers: 2,
    logEvery: 1000,
  };
  const run = planStudy(study, [0], folder, overrides).find((r) => r.arm.label === guarded.row);
  if (!run) throw new Error(`study ${guarded.study} has no row ${guarded.row}`);
  const configFile = join(folder, `${run.name}.json`);
  writeFileSync(configFile, JSON.stringify(run.config));
  const { code, out } = await runCli(['train', '--config', configFile], folder, undefined, env);
  if (code !== 0) throw new Error(`${guarded.study} ${guarded.row} exited ${code}:\n${out}`);
  const metrics = readFileSync(join(folder, run.name, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n');
  const epoch = metrics.map((l) => JSON.parse(l)).find((r) => r.type === 'epoch');
  return { top1: epoch.top1, top5: epoch.top5, trainLoss: epoch.trainLoss, valLoss: epoch.valLoss };
}

describe('study numerics guard', () => {
  it('a one-epoch miniature of a row of each study gives the committed figures to the last bit, on both GEMM paths', async () => {
    const measured: Record<string, Record<string, Record<string, number>>> = {};
    for (const [path, env] of Object.entries(PATHS)) {
      const folder = tempDir('guard');
      const figures = await Promise.all(GUARDED.map((g) => trainMiniature(g, folder, env)));
      // Sanity of the miniatures themselves: each trained to finite losses and a real accuracy.
      for (const f of figures) {
        expect(Number.isFinite(f.trainLoss) && Number.isFinite(f.valLoss)).toBe(true);
        expect(f.top1).toBeGreaterThan(0);
      }
      measured[path] = Object.fromEntries(
        GUARDED.map((g, i) => [`${g.study} ${g.row}`, figures[i] as Record<string, number>]),
      );
    }
    await expect(`${JSON.stringify(measured, null, 2)}\n`).toMatchFileSnapshot('./fixtures/study-guard.json');
    // Eight CLI runs of a few seconds each, two cores: minutes of headroom for a busy machine.
  }, 900_000);
});
