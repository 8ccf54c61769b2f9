import { describe, expect, it } from 'vitest';
import {
  baselineRecipe,
  bindOptimizer,
  constant,
  cosineDecay,
  cosineWarmRestarts,
  efficientRecipe,
  epochsToSteps,
  exponential,
  join,
  linear,
  linearScaling,
  multiStep,
  polynomial,
  sampleSchedule,
  stepDecay,
  svgLineChart,
  warmup,
  warmupCosine,
} from '../src/index.js';

/** Asserts a RangeError whose message names the parameter and shows the value. */
function rejects(fn: () => unknown, param: string, value: string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, `expected a RangeError about ${param}`).toBeInstanceOf(RangeError);
  const message = (error as Error).message;
  expect(message).toContain(param);
  expect(message).toContain(value);
}

describe('bad input throws a RangeError naming the parameter and the value', () => {
  const schedules = {
    constant: constant(1),
    linear: linear({ from: 0, to: 1, steps: 3 }),
    warmup: warmup(1, 3),
    stepDecay: stepDecay({ init: 1, stepSize: 2 }),
    multiStep: multiStep({ init: 1, milestones: [1] }),
    cosineDecay: cosineDecay({ init: 1, steps: 3 }),
    cosineWarmRestarts: cosineWarmRestarts({ init: 1, period: 3, periodMult: 2 }),
    polynomial: polynomial({ init: 1, steps: 3 }),
    exponential: exponential({ init: 1, gamma: 0.5 }),
    join: join([constant(1), constant(2)], [3]),
    warmupCosine: warmupCosine({ peak: 1, warmupSteps: 2, totalSteps: 5 }),
  };
  for (const [name, s] of Object.entries(schedules)) {
    it(`${name}: negative, NaN or infinite step`, () => {
      rejects(() => s(-1), 'step', '-1');
      rejects(() => s(Number.NaN), 'step', 'NaN');
      rejects(() => s(Number.POSITIVE_INFINITY), 'step', 'Infinity');
      rejects(() => s('3' as unknown as number), 'step', '"3"');
    });
  }

  it('zero, negative or non-integer periods and lengths', () => {
    rejects(() => linear({ from: 0, to: 1, steps: 0 }), 'steps', '0');
    rejects(() => linear({ from: 0, to: 1, steps: 2.5 }), 'steps', '2.5');
    rejects(() => linear({ from: 0, to: Number.NaN, steps: 2 }), 'to', 'NaN');
    rejects(() => warmup(1, -3), 'steps', '-3');
    rejects(() => stepDecay({ init: 1, stepSize: 0 }), 'stepSize', '0');
    rejects(() => stepDecay({ init: 1, stepSize: 2, gamma: -0.1 }), 'gamma', '-0.1');
    rejects(() => cosineDecay({ init: 1, steps: -5 }), 'steps', '-5');
    rejects(() => cosineWarmRestarts({ init: 1, period: 0 }), 'period', '0');
    rejects(() => cosineWarmRestarts({ init: 1, period: 3, periodMult: 0.5 }), 'periodMult', '0.5');
    rejects(() => cosineWarmRestarts({ init: 1, period: 3, decay: 0 }), 'decay', '0');
    rejects(() => polynomial({ init: 1, steps: 3, power: 0 }), 'power', '0');
    rejects(() => exponential({ init: 1, gamma: 0.5, every: 0 }), 'every', '0');
    rejects(() => linearScaling(0), 'batchSize', '0');
    rejects(() => epochsToSteps(-1, 10), 'epochs', '-1');
    rejects(() => epochsToSteps(1, 0.5), 'stepsPerEpoch', '0.5');
  });

  it('boundaries and milestones that do not increase', () => {
    rejects(() => multiStep({ init: 1, milestones: [5, 5] }), 'milestones', '[5, 5]');
    rejects(() => multiStep({ init: 1, milestones: [5, 3] }), 'milestones', '[5, 3]');
    rejects(() => multiStep({ init: 1, milestones: [-1] }), 'milestones[0]', '-1');
    rejects(() => join([constant(1), constant(2), constant(3)], [4, 2]), 'boundaries', '[4, 2]');
    rejects(() => baselineRecipe({ stepsPerEpoch: 10, milestones: [60, 30] }), 'milestones', '[60, 30]');
    rejects(
      () => efficientRecipe({ stepsPerEpoch: 10, batchSize: 256, milestones: [3, 60] }),
      'milestones',
      '[3, 60]',
    );
  });

  it('join with mismatched lengths', () => {
    rejects(() => join([constant(1), constant(2)], []), 'boundaries.length', '0');
    rejects(() => join([constant(1)], [3]), 'boundaries.length', '1');
    rejects(() => join([], []), 'schedules', '[]');
    rejects(() => join([constant(1), 3 as unknown as () => number], [1]), 'schedules[1]', '3');
  });

  it('recipes, sampling, charts and the binding', () => {
    rejects(() => warmupCosine({ peak: 1, warmupSteps: 10, totalSteps: 10 }), 'totalSteps', '10');
    rejects(
      () => efficientRecipe({ stepsPerEpoch: 10, batchSize: 256, decay: 'linear' as 'step' }),
      'decay',
      '"linear"',
    );
    rejects(() => sampleSchedule(constant(1), { end: 0 }), 'end', '0');
    rejects(() => sampleSchedule(constant(1), { end: 5, every: 0 }), 'every', '0');
    rejects(() => svgLineChart([{ x: [1, 2], y: [1] }]), 'series[0].y.length', '1');
    rejects(() => svgLineChart([], { yScale: 'log', yDomain: [0, 1] }), 'yDomain', '[0, 1]');
    rejects(() => svgLineChart([], { width: -1 }), 'width', '-1');
    const fake = { learningRate: 1, applyGradients() {} };
    rejects(() => bindOptimizer(fake, constant(1), { startStep: -2 }), 'startStep', '-2');
    rejects(() => bindOptimizer(fake, () => Number.NaN), 'schedule(0)', 'NaN');
  });
});
