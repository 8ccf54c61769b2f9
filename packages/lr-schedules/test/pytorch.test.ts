import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  cosineDecay,
  cosineWarmRestarts,
  exponential,
  linear,
  multiStep,
  polynomial,
  type Schedule,
  stepDecay,
} from '../src/index.js';

interface Case {
  scheduler: string;
  baseLr: number;
  kwargs: Record<string, number | number[]>;
  lrs: number[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/pytorch-schedules.json', import.meta.url), 'utf8'),
) as {
  cases: Case[];
};

function ours(c: Case): Schedule {
  const k = c.kwargs as Record<string, number> & { milestones: number[] };
  switch (c.scheduler) {
    case 'LinearLR':
      return linear({
        from: c.baseLr * k.start_factor!,
        to: c.baseLr * k.end_factor!,
        steps: k.total_iters!,
      });
    case 'StepLR':
      return stepDecay({ init: c.baseLr, stepSize: k.step_size!, gamma: k.gamma! });
    case 'MultiStepLR':
      return multiStep({ init: c.baseLr, milestones: k.milestones, gamma: k.gamma! });
    case 'CosineAnnealingLR':
      return cosineDecay({ init: c.baseLr, steps: k.T_max!, final: k.eta_min! });
    case 'CosineAnnealingWarmRestarts':
      return cosineWarmRestarts({ init: c.baseLr, period: k.T_0!, periodMult: k.T_mult!, final: k.eta_min! });
    case 'ExponentialLR':
      return exponential({ init: c.baseLr, gamma: k.gamma! });
    case 'PolynomialLR':
      return polynomial({ init: c.baseLr, steps: k.total_iters!, power: k.power! });
    default:
      throw new Error(`no mapping for ${c.scheduler}`);
  }
}

// PyTorch's chainable schedulers update the rate recursively (lr *= factor), so they drift from the closed
// form by rounding; 1e-12 relative is far below anything a training run can notice.
const close = (a: number, b: number): boolean =>
  Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b), 1e-3);

describe('PyTorch 1.13 schedulers (fixture from tools/lr-schedules/make_fixtures.py)', () => {
  it('covers the five schedulers the issue names', () => {
    const names = new Set(fixture.cases.map((c) => c.scheduler));
    for (const n of [
      'LinearLR',
      'StepLR',
      'MultiStepLR',
      'CosineAnnealingLR',
      'CosineAnnealingWarmRestarts',
    ]) {
      expect(names.has(n)).toBe(true);
    }
  });

  for (const c of fixture.cases) {
    const label = `${c.scheduler} ${JSON.stringify(c.kwargs)}`;
    if (c.scheduler === 'CosineAnnealingLR') {
      const tMax = c.kwargs.T_max as number;
      it(`${label}: equal for steps 0..T_max`, () => {
        const s = ours(c);
        for (let step = 0; step <= tMax; step++)
          expect(close(s(step), c.lrs[step]!), `step ${step}`).toBe(true);
      });
      it(`${label}: after T_max PyTorch climbs back up, cosineDecay holds eta_min`, () => {
        const s = ours(c);
        for (let step = tMax + 1; step < c.lrs.length; step++) {
          expect(s(step)).toBe(c.kwargs.eta_min);
          expect(c.lrs[step]!).toBeGreaterThan(c.lrs[step - 1]!);
        }
      });
    } else {
      it(`${label}: equal at every step`, () => {
        const s = ours(c);
        c.lrs.forEach((lr, step) => {
          expect(close(s(step), lr), `step ${step}: ${s(step)} vs ${lr}`).toBe(true);
        });
      });
    }
  }
});
