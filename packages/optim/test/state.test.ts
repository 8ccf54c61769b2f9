import { cosineDecay, join, warmup } from '@bot/lr-schedules';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NesterovSGD, type NesterovSGDOptions, stateFromJSON, stateToJSON } from '../src/index.js';
import { useCpu, Values } from './helpers.js';

beforeAll(useCpu);

const SHAPES: Record<string, number[]> = { 'conv/kernel': [2, 2, 1, 3], 'conv/bias': [3], 'bn/gamma': [3] };
const OPTIONS: NesterovSGDOptions = {
  learningRate: join([warmup(0.3, 2), cosineDecay({ init: 0.3, steps: 6 })], [2]),
  weightDecay: 1e-2,
};

function makeVariables(prefix: string) {
  const values = new Values(5);
  return Object.entries(SHAPES).map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.variable(
      tf.tensor(
        Float32Array.from({ length: size }, () => values.normal()),
        shape,
      ),
      true,
      `${prefix}/${name}`,
    );
  });
}

/** Gradients that depend on the step and on the current values, so any state error shows up. */
function step(optimizer: NesterovSGD, variables: tf.Variable[], k: number) {
  const grads: tf.NamedTensorMap = {};
  for (const v of variables)
    grads[v.name] = tf.tidy(() => tf.add(tf.sin(tf.mul(v, k + 1)), tf.scalar(0.1 * k)));
  optimizer.applyGradients(grads);
  tf.dispose(Object.values(grads));
}

const bits = (variables: tf.Variable[]) =>
  variables.map((v) => Array.from(new Uint32Array(v.dataSync().slice().buffer)));

describe('optimizer state: save and resume', () => {
  it('N steps straight == k steps, getState, JSON, new optimizer, setState, N - k steps (bitwise)', async () => {
    const straight = makeVariables('straight');
    const a = new NesterovSGD(OPTIONS);
    for (let k = 0; k < 6; k++) step(a, straight, k);

    const resumed = makeVariables('resumed');
    const b = new NesterovSGD(OPTIONS);
    for (let k = 0; k < 2; k++) step(b, resumed, k);
    const json = JSON.stringify(stateToJSON(await b.getState()));
    b.dispose();
    const c = new NesterovSGD(OPTIONS);
    c.setState(stateFromJSON(JSON.parse(json)));
    expect(c.iterations).toBe(2);
    expect(c.currentLearningRate).toBe(
      OPTIONS.learningRate instanceof Function ? OPTIONS.learningRate(2) : 0,
    );
    for (let k = 2; k < 6; k++) step(c, resumed, k);

    expect(bits(resumed)).toEqual(bits(straight));
    const [sa, sc] = [await a.getState(), await c.getState()];
    expect(sc.iterations).toBe(6);
    expect(sc.buffers.map((x) => [x.name.split('/').slice(1).join('/'), Array.from(x.data)])).toEqual(
      sa.buffers.map((x) => [x.name.split('/').slice(1).join('/'), Array.from(x.data)]),
    );
    for (const o of [a, c]) o.dispose();
    tf.dispose([...straight, ...resumed]);
  });

  it('a resume that forgets the buffers does not match (the test can fail)', () => {
    const straight = makeVariables('forget-a');
    const a = new NesterovSGD(OPTIONS);
    for (let k = 0; k < 4; k++) step(a, straight, k);
    const other = makeVariables('forget-b');
    const b = new NesterovSGD(OPTIONS);
    for (let k = 0; k < 2; k++) step(b, other, k);
    const fresh = new NesterovSGD(OPTIONS);
    fresh.setState({ format: 'bot-optim/nesterov-sgd@1', iterations: 2, skippedSteps: 0, buffers: [] });
    for (let k = 2; k < 4; k++) step(fresh, other, k);
    expect(bits(other)).not.toEqual(bits(straight));
    for (const o of [a, b, fresh]) o.dispose();
    tf.dispose([...straight, ...other]);
  });

  it('getWeights / setWeights (tfjs format: iter, then <name>/momentum) resume exactly', async () => {
    const straight = makeVariables('w-straight');
    const a = new NesterovSGD(OPTIONS);
    for (let k = 0; k < 5; k++) step(a, straight, k);
    const resumed = makeVariables('w-resumed');
    const b = new NesterovSGD(OPTIONS);
    for (let k = 0; k < 3; k++) step(b, resumed, k);
    const weights = await b.getWeights();
    expect(weights.map((w) => w.name)).toEqual(['iter', ...resumed.map((v) => `${v.name}/momentum`)]);
    const c = new NesterovSGD(OPTIONS);
    await c.setWeights(weights);
    b.dispose();
    expect(c.iterations).toBe(3);
    for (let k = 3; k < 5; k++) step(c, resumed, k);
    expect(bits(resumed)).toEqual(bits(straight));
    for (const o of [a, c]) o.dispose();
    tf.dispose([...straight, ...resumed]);
  });

  it('setState maps names with mapName and rejects unknown names and wrong shapes, naming them', async () => {
    const vars = makeVariables('map-a');
    const a = new NesterovSGD(OPTIONS);
    step(a, vars, 0);
    const state = await a.getState();
    const b = new NesterovSGD(OPTIONS);
    expect(() => b.setState(state, { mapName: (n) => n.replace('map-a', 'nowhere') })).toThrow(
      /'nowhere\/conv\/kernel' \(shape \[2, 2, 1, 3\]\) has no registered variable/,
    );
    const wrong = { ...state, buffers: state.buffers.map((x) => ({ ...x, shape: [x.data.length, 1] })) };
    expect(() => b.setState(wrong)).toThrow(/'map-a\/conv\/kernel' has shape \[12, 1\].*\[2, 2, 1, 3\]/);
    const bad = { ...state, buffers: [{ name: 'map-a/conv/bias', shape: [4], data: new Float32Array(3) }] };
    expect(() => b.setState(bad)).toThrow(/'map-a\/conv\/bias' has 3 values.*\[4\] needs 4/);
    const moved = makeVariables('map-b');
    b.setState(state, { mapName: (n) => n.replace('map-a', 'map-b') });
    expect((await b.getState()).buffers.map((x) => x.name)).toEqual(moved.map((v) => v.name));
    expect(() => stateFromJSON({ ...stateToJSON(state), format: 'x' as 'bot-optim/nesterov-sgd@1' })).toThrow(
      /state.format/,
    );
    for (const o of [a, b]) o.dispose();
    tf.dispose([...vars, ...moved]);
  });
});
