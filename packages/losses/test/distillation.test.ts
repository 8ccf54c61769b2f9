import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { distillationLoss, stopGradient } from '../src/index.js';
import { kd64, numericGrad } from './reference.js';

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/cross-entropy.json', import.meta.url), 'utf8'),
) as {
  distillation: {
    student: number[][];
    teacher: number[][];
    labels: number[];
    cases: {
      temperature: number;
      labelSmoothing: number;
      paper: number;
      gluoncv: Record<'0.5' | '0.25', number>;
    }[];
  };
};
const kd = fixture.distillation;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('distillationLoss', () => {
  it('matches a hand-derived value', () => {
    // K = 2, T = 20, teacher r = [20 ln 3, 0] so softmax(r / T) = [3/4, 1/4]; student z = [0, 0], label 0.
    // softmax(z / T) = [1/2, 1/2], so CE(z, p) = ln 2 and T^2 CE(z / T, softmax(r / T)) = 400 ln 2.
    const z = tf.tensor2d([[0, 0]]);
    const r = tf.tensor2d([[20 * Math.log(3), 0]]);
    const y = tf.tensor1d([0], 'int32');
    expect(distillationLoss(z, r, y).dataSync()[0]).toBeCloseTo(401 * Math.LN2, 3);
    expect(distillationLoss(z, r, y, { form: 'gluoncv' }).dataSync()[0]).toBeCloseTo(200.5 * Math.LN2, 3);
    expect(distillationLoss(z, r, y, { form: 'gluoncv', weight: 1 }).dataSync()[0]).toBeCloseTo(Math.LN2, 5);
    // the paper's form has no weight: one passed along (as a shared config might) changes nothing
    expect(distillationLoss(z, r, y, { weight: 0.9 }).dataSync()[0]).toBeCloseTo(401 * Math.LN2, 3);
  });

  for (const c of kd.cases) {
    it(`matches PyTorch at T = ${c.temperature}, label smoothing ${c.labelSmoothing}`, () => {
      const before = tf.memory().numTensors;
      const z = tf.tensor2d(kd.student);
      const r = tf.tensor2d(kd.teacher);
      const y = tf.tensor1d(kd.labels, 'int32');
      const opts = { temperature: c.temperature, labelSmoothing: c.labelSmoothing };
      const paper = distillationLoss(z, r, y, opts);
      const g5 = distillationLoss(z, r, y, { ...opts, form: 'gluoncv' });
      const g25 = distillationLoss(z, r, y, { ...opts, form: 'gluoncv', weight: 0.25 });
      const close = (got: tf.Tensor, want: number) =>
        expect(Math.abs(got.dataSync()[0]! - want)).toBeLessThan(3e-6 * Math.max(1, Math.abs(want)));
      close(paper, c.paper);
      close(g5, c.gluoncv['0.5']);
      close(g25, c.gluoncv['0.25']);
      expect(
        kd64(kd.student, kd.teacher, kd.labels, c.temperature, 'paper', 0.5, c.labelSmoothing),
      ).toBeCloseTo(c.paper, 8);
      tf.dispose([z, r, y, paper, g5, g25]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('accepts soft (mixup) targets for the true-label term', () => {
    const z = tf.tensor2d(kd.student);
    const r = tf.tensor2d(kd.teacher);
    const onehot = tf.oneHot(tf.tensor1d(kd.labels, 'int32'), kd.student[0]!.length).toFloat();
    const hard = distillationLoss(z, r, tf.tensor1d(kd.labels, 'int32'), { temperature: 4 }).dataSync()[0]!;
    const soft = distillationLoss(z, r, onehot, { temperature: 4 }).dataSync()[0]!;
    expect(soft).toBeCloseTo(hard, 5);
  });

  it('passes no gradient to the teacher logits', () => {
    const z = tf.tensor2d(kd.student);
    const r = tf.tensor2d(kd.teacher);
    const y = tf.tensor1d(kd.labels, 'int32');
    for (const form of ['paper', 'gluoncv'] as const) {
      const [gz, gr] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        distillationLoss(a, b, y, { form, temperature: 4 }),
      )([z, r]);
      expect(Array.from(gr!.dataSync()).every((v) => v === 0)).toBe(true);
      expect(Array.from(gz!.dataSync()).some((v) => v !== 0)).toBe(true);
    }
    const teacher = tf.variable(tf.tensor2d(kd.teacher), true, 'kd-teacher');
    const student = tf.variable(tf.tensor2d(kd.student), true, 'kd-student');
    const { grads } = tf.variableGrads(() => distillationLoss(student, teacher, y));
    expect(Array.from(grads['kd-teacher']!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(
      tf
        .grad((x: tf.Tensor) => tf.sum(tf.mul(stopGradient(x), x)))(tf.tensor1d([3]))
        .dataSync()[0],
    ).toBe(3);
  });

  for (const [form, t] of [
    ['paper', 4],
    ['gluoncv', 20],
  ] as const) {
    it(`student gradient (${form}, T = ${t}) agrees with float64 finite differences`, () => {
      const y = tf.tensor1d(kd.labels, 'int32');
      const r = tf.tensor2d(kd.teacher);
      const g = tf
        .grad((z: tf.Tensor) => distillationLoss(z, r, y, { form, temperature: t, labelSmoothing: 0.1 }))(
          tf.tensor2d(kd.student),
        )
        .arraySync() as number[][];
      const fd = numericGrad((z) => kd64(z, kd.teacher, kd.labels, t, form, 0.5, 0.1), kd.student);
      g.forEach((row, i) => {
        row.forEach((v, j) => {
          expect(Math.abs(v - fd[i]![j]!)).toBeLessThan(2e-5 * Math.max(1, Math.abs(fd[i]![j]!)));
        });
      });
    });
  }

  it('names bad input', () => {
    const z = tf.zeros([2, 3]);
    const y = tf.tensor1d([0, 1], 'int32');
    expect(() => distillationLoss(z, tf.zeros([2, 4]), y)).toThrow(
      /teacherLogits \(float32 \[2, 4\]\) must have the student logits' shape \[2, 3\]/,
    );
    expect(() => distillationLoss(z, z, tf.tensor1d([0, 5], 'int32'))).toThrow(
      /distillationLoss: labels .* value 5/,
    );
    expect(() => distillationLoss(z, z, y, { temperature: 0 })).toThrow(
      /temperature must be a finite number > 0; got 0/,
    );
    expect(() => distillationLoss(z, z, y, { weight: -0.1 })).toThrow(
      /weight must be a number in \[0, 1\]; got -0.1/,
    );
    expect(() => distillationLoss(z, z, y, { form: 'gluoncv', weight: 2 })).toThrow(
      /weight must be a number in \[0, 1\]; got 2/,
    );
    expect(() => distillationLoss(z, z, y, { form: 'hinton' as never })).toThrow(
      /form must be 'paper' or 'gluoncv'/,
    );
  });
});
