import { readFileSync } from 'node:fs';
import { cosineDecay, join, warmup } from '@bot/lr-schedules';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NesterovSGD } from '../src/index.js';
import { maxRelativeError, useCpu } from './helpers.js';

interface Trajectory {
  config: { momentum: number; nesterov: boolean; dampening: number; weightDecay: number };
  mode: 'grads' | 'loss';
  lrs: number[];
  params: { name: string; shape: number[]; decayed: boolean }[];
  initial: number[][];
  after: number[][][];
  grads?: number[][][];
  c?: number[][];
  d?: number[][];
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/sgd-trajectories.json', import.meta.url), 'utf8'),
) as {
  trajectories: Trajectory[];
};

/** The fixture's schedule (tools/optim): the paper's warmup to 0.4 over 3 steps, then cosine to 0 at step 7. */
const schedule = join([warmup(0.4, 3), cosineDecay({ init: 0.4, steps: 4 })], [3]);

// Both run float32; PyTorch fuses some multiply-adds, so results differ by a few ulps (measured <= 3e-7).
const TOLERANCE = 1e-6;

beforeAll(useCpu);

describe('NesterovSGD against torch.optim.SGD (tools/optim/make_fixtures.py)', () => {
  fixture.trajectories.forEach((trajectory, t) => {
    const { config, mode } = trajectory;
    const title = `momentum ${config.momentum}, nesterov ${config.nesterov}, dampening ${config.dampening}, wd ${config.weightDecay}, ${mode === 'grads' ? 'given gradients' : 'minimize(loss)'}`;
    it(title, () => {
      trajectory.lrs.forEach((lr, step) => {
        expect(schedule(step)).toBeCloseTo(lr, 12);
      });

      const variables = trajectory.params.map((p, i) =>
        tf.variable(tf.tensor(trajectory.initial[i] as number[], p.shape), true, `golden${t}/${p.name}`),
      );
      // The default filter (noBiasDecay) must pick exactly the parameters PyTorch's decay group holds.
      const optimizer = new NesterovSGD({ learningRate: schedule, ...config });
      trajectory.params.forEach((p, i) => {
        expect(optimizer.decayFilter(variables[i]?.name ?? '')).toBe(p.decayed);
      });

      const c = trajectory.c?.map((values, i) => tf.tensor(values, trajectory.params[i]?.shape));
      const d = trajectory.d?.map((values, i) => tf.tensor(values, trajectory.params[i]?.shape));
      trajectory.after.forEach((expected, step) => {
        expect(optimizer.currentLearningRate).toBeCloseTo(trajectory.lrs[step] as number, 12);
        if (mode === 'grads') {
          const grads: tf.NamedTensorMap = {};
          variables.forEach((v, i) => {
            grads[v.name] = tf.tensor(trajectory.grads?.[step]?.[i] as number[], v.shape);
          });
          expect(optimizer.applyGradients(grads)).toBe(true);
          tf.dispose(Object.values(grads));
        } else {
          optimizer.minimize(
            () =>
              tf.addN(
                variables.map((v, i) =>
                  tf.sum(
                    tf.add(
                      tf.mul(0.5, tf.mul(c?.[i] as tf.Tensor, tf.square(v))),
                      tf.mul(d?.[i] as tf.Tensor, v),
                    ),
                  ),
                ),
              ) as tf.Scalar,
          );
        }
        variables.forEach((v, i) => {
          const err = maxRelativeError(v.dataSync(), expected[i] as number[]);
          expect(err, `${v.name} after step ${step}`).toBeLessThan(TOLERANCE);
        });
      });
      expect(optimizer.iterations).toBe(trajectory.after.length);
      optimizer.dispose();
      tf.dispose([...variables, ...(c ?? []), ...(d ?? [])]);
    });
  });

  it('is sensitive to the decay filter: decaying biases too lands measurably off the PyTorch trajectory', () => {
    const trajectory = fixture.trajectories[0] as Trajectory;
    const variables = trajectory.params.map((p, i) =>
      tf.variable(tf.tensor(trajectory.initial[i] as number[], p.shape), true, `negative/${p.name}`),
    );
    const optimizer = new NesterovSGD({
      learningRate: schedule,
      ...trajectory.config,
      decayFilter: () => true,
    });
    trajectory.after.forEach((_, step) => {
      const grads: tf.NamedTensorMap = {};
      variables.forEach((v, i) => {
        grads[v.name] = tf.tensor(trajectory.grads?.[step]?.[i] as number[], v.shape);
      });
      optimizer.applyGradients(grads);
      tf.dispose(Object.values(grads));
    });
    const last = trajectory.after[trajectory.after.length - 1] as number[][];
    const biasIndex = trajectory.params.findIndex((p) => p.name === 'fc/bias');
    expect(
      maxRelativeError(variables[biasIndex]?.dataSync() ?? [], last[biasIndex] as number[]),
    ).toBeGreaterThan(1e-4);
    optimizer.dispose();
    tf.dispose(variables);
  });
});
