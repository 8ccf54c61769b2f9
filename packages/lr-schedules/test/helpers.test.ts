import { describe, expect, it } from 'vitest';
import {
  baselineRecipe,
  cosineDecay,
  efficientRecipe,
  epochsToSteps,
  linearScaling,
  stepsPerEpoch,
  warmupCosine,
} from '../src/index.js';

const near = (a: number, b: number) => expect(a).toBeCloseTo(b, 14);

describe('scaling and step arithmetic', () => {
  it('linearScaling: 0.1 * b / 256', () => {
    expect(linearScaling(256)).toBe(0.1);
    near(linearScaling(1024), 0.4);
    near(linearScaling(64), 0.025);
    near(linearScaling(32, { baseLr: 0.5, baseBatchSize: 128 }), 0.125);
  });

  it('stepsPerEpoch and epochsToSteps', () => {
    expect(stepsPerEpoch(1281167, 256)).toBe(5005);
    expect(stepsPerEpoch(1281167, 256, { dropLast: true })).toBe(5004);
    expect(stepsPerEpoch(60000, 128)).toBe(469);
    expect(epochsToSteps(30, 5005)).toBe(150150);
    expect(epochsToSteps(0.5, 469)).toBe(235);
    expect(epochsToSteps(0, 10)).toBe(0);
  });
});

describe("the paper's recipes", () => {
  it('baselineRecipe: 0.1, divided by 10 at epochs 30, 60, 90', () => {
    const spe = 100;
    const s = baselineRecipe({ stepsPerEpoch: spe });
    expect(s(0)).toBe(0.1);
    expect(s(30 * spe - 1)).toBe(0.1);
    near(s(30 * spe), 0.01);
    near(s(60 * spe), 0.001);
    near(s(90 * spe), 0.0001);
    near(s(120 * spe - 1), 0.0001);
  });

  it('efficientRecipe (step): linear scaling, 5-epoch warmup lr_i = i lr / m, then /10 at 30/60/90', () => {
    const spe = 10;
    const s = efficientRecipe({ stepsPerEpoch: spe, batchSize: 1024 });
    const m = 5 * spe;
    for (const i of [1, 2, 25, 49, 50]) near(s(i - 1), (i * 0.4) / m);
    near(s(m), 0.4);
    near(s(30 * spe - 1), 0.4);
    near(s(30 * spe), 0.04);
    near(s(60 * spe), 0.004);
    near(s(90 * spe), 0.0004);
  });

  it('efficientRecipe (cosine): warmup, then cosine over the remaining epochs to 0', () => {
    const spe = 10;
    const s = efficientRecipe({ stepsPerEpoch: spe, batchSize: 512, decay: 'cosine', epochs: 25 });
    const m = 50;
    const T = 250 - m;
    near(s(0), 0.2 / m);
    const tail = cosineDecay({ init: 0.2, steps: T });
    for (const t of [0, 1, 100, 199]) near(s(m + t), tail(t));
    expect(s(250)).toBe(0);
  });

  it('warmupCosine: eta_t = (1 + cos(pi t / T)) / 2 * peak after the warmup', () => {
    const s = warmupCosine({ peak: 0.4, warmupSteps: 10, totalSteps: 110 });
    near(s(0), 0.04);
    expect(s(9)).toBe(0.4);
    for (const t of [0, 13, 50, 77, 99]) near(s(10 + t), 0.5 * (1 + Math.cos((Math.PI * t) / 100)) * 0.4);
    expect(s(110)).toBe(0);
    const noWarmup = warmupCosine({ peak: 1, warmupSteps: 0, totalSteps: 4 });
    near(noWarmup(2), 0.5);
  });
});
