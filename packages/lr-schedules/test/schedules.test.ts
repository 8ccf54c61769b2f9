import { describe, expect, it } from 'vitest';
import {
  constant,
  cosineDecay,
  cosineWarmRestarts,
  exponential,
  join,
  linear,
  multiStep,
  polynomial,
  stepDecay,
  warmup,
} from '../src/index.js';

const near = (a: number, b: number) => expect(a).toBeCloseTo(b, 14);

describe('closed forms at chosen steps', () => {
  it('constant', () => {
    const s = constant(0.3);
    for (const step of [0, 1, 7.5, 1e9]) expect(s(step)).toBe(0.3);
  });

  it('linear: from at begin, to at begin + steps, interpolated between, held outside', () => {
    const s = linear({ from: 0.5, to: 0.1, steps: 8, begin: 2 });
    expect(s(0)).toBe(0.5);
    expect(s(2)).toBe(0.5);
    near(s(4), 0.5 + (0.1 - 0.5) * (2 / 8));
    near(s(6), 0.3);
    expect(s(10)).toBe(0.1);
    expect(s(1000)).toBe(0.1);
  });

  it("warmup is the paper's lr_i = i * lr / m with batch i = step + 1", () => {
    const lr = 0.4;
    const m = 5;
    const s = warmup(lr, m);
    for (let i = 1; i <= m; i++) near(s(i - 1), (i * lr) / m);
    expect(s(m - 1)).toBe(lr);
    expect(s(m)).toBe(lr);
    expect(s(100)).toBe(lr);
    const asLinear = linear({ from: lr / m, to: lr, steps: m - 1 });
    for (let step = 0; step < 10; step++) near(s(step), asLinear(step));
    expect(warmup(0.2, 1)(0)).toBe(0.2);
  });

  it('stepDecay: init * gamma^floor(step / stepSize)', () => {
    const s = stepDecay({ init: 0.1, stepSize: 30, gamma: 0.1 });
    expect(s(0)).toBe(0.1);
    expect(s(29)).toBe(0.1);
    near(s(30), 0.01);
    near(s(89), 0.001);
    near(s(90), 0.0001);
    expect(stepDecay({ init: 2, stepSize: 3 })(3)).toBeCloseTo(0.2, 15);
  });

  it('multiStep: init * gamma^(milestones passed), the milestone step itself already decayed', () => {
    const s = multiStep({ init: 1, milestones: [3, 7], gamma: 0.5 });
    expect([0, 2, 3, 6, 7, 100].map(s)).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25]);
    expect(multiStep({ init: 0.3, milestones: [] })(50)).toBe(0.3);
  });

  it('cosineDecay: final + (init - final)(1 + cos(pi t / T)) / 2, holding final after T', () => {
    const s = cosineDecay({ init: 1, steps: 100, final: 0.1 });
    expect(s(0)).toBe(1);
    near(s(50), 0.55);
    near(s(25), 0.1 + (0.9 * (1 + Math.SQRT1_2)) / 2);
    expect(s(100)).toBe(0.1);
    expect(s(1e6)).toBe(0.1);
    // symmetry of the half cosine around its midpoint
    near(s(30) - 0.55, 0.55 - s(70));
  });

  it('cosineWarmRestarts: restarts at the peak at 0, T0, T0(1+m), ... with per-cycle decay', () => {
    const s = cosineWarmRestarts({ init: 1, period: 10, periodMult: 2, decay: 0.5, final: 0 });
    // cycles: [0,10) peak 1, [10,30) peak 0.5, [30,70) peak 0.25
    expect(s(0)).toBe(1);
    near(s(5), 0.5);
    expect(s(10)).toBe(0.5);
    near(s(20), 0.25);
    expect(s(30)).toBe(0.25);
    near(s(50), 0.125);
    near(s(29), 0.25 * (1 + Math.cos((Math.PI * 19) / 20)));
    const flat = cosineWarmRestarts({ init: 0.2, period: 4, final: 0.02 });
    for (let step = 0; step < 20; step++) expect(flat(step)).toBe(flat(step % 4));
  });

  it('cosineWarmRestarts with a fractional period multiplier', () => {
    const s = cosineWarmRestarts({ init: 1, period: 4, periodMult: 1.5 });
    // cycles: [0,4), [4,10), [10,19)
    expect(s(4)).toBe(1);
    expect(s(10)).toBe(1);
    near(s(7), 0.5);
    near(s(13), 0.5 * (1 + Math.cos(Math.PI / 3)));
  });

  it('polynomial: (init - final)(1 - t/T)^p + final', () => {
    const s = polynomial({ init: 1, steps: 10, power: 2, final: 0.1, begin: 5 });
    expect(s(0)).toBe(1);
    expect(s(5)).toBe(1);
    near(s(10), 0.9 * 0.25 + 0.1);
    expect(s(15)).toBe(0.1);
    expect(s(99)).toBe(0.1);
  });

  it('exponential: init * gamma^(t / every), staircase, begin and a floor', () => {
    near(exponential({ init: 1, gamma: 0.5, every: 4 })(6), 0.5 ** 1.5);
    expect(exponential({ init: 1, gamma: 0.5, every: 4, staircase: true })(7)).toBe(0.5);
    expect(exponential({ init: 1, gamma: 0.5, begin: 3 })(3)).toBe(1);
    expect(exponential({ init: 1, gamma: 0.5, final: 0.2 })(10)).toBe(0.2);
    expect(exponential({ init: 1, gamma: 2, final: 5 })(10)).toBe(5);
  });
});

describe('join (optax join_schedules)', () => {
  it('hands over at each boundary, the later schedule seeing the step counted from its boundary', () => {
    const seen: number[] = [];
    const a = (s: number) => 100 + s;
    const b = (s: number) => {
      seen.push(s);
      return 200 + s;
    };
    const c = (s: number) => 300 + s;
    const j = join([a, b, c], [3, 10]);
    expect([0, 2, 3, 9, 10, 15].map(j)).toEqual([100, 102, 200, 206, 300, 305]);
    expect(seen).toEqual([0, 6]);
  });

  it('a single schedule with no boundaries is that schedule', () => {
    const s = cosineDecay({ init: 1, steps: 10 });
    const j = join([s], []);
    for (let step = 0; step < 12; step++) expect(j(step)).toBe(s(step));
  });

  it('warmup then cosine: the cosine starts at t = 0 at the boundary', () => {
    const j = join([warmup(1, 5), cosineDecay({ init: 1, steps: 20 })], [5]);
    expect(j(4)).toBe(1);
    expect(j(5)).toBe(1);
    near(j(15), 0.5);
    expect(j(25)).toBe(0);
  });
});
