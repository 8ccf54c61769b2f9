import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NesterovSGD, noBiasDecay } from '../src/index.js';
import { useCpu, Values } from './helpers.js';

beforeAll(useCpu);

function mlp(name: string) {
  return tf.sequential({
    name,
    layers: [
      tf.layers.dense({
        units: 5,
        inputShape: [3],
        activation: 'tanh',
        name: `${name}_fc1`,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.dense({
        units: 2,
        name: `${name}_fc2`,
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
}

function dataset() {
  const values = new Values(9);
  const x = tf.tensor2d(
    Float32Array.from({ length: 8 * 3 }, () => values.normal()),
    [8, 3],
  );
  const y = tf.tensor2d(
    Float32Array.from({ length: 8 * 2 }, () => values.normal()),
    [8, 2],
  );
  return { x, y };
}

async function memorySave(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer: true },
  );
  return saved as tf.io.ModelArtifacts;
}

describe('NesterovSGD inside tfjs-layers', () => {
  it('model.compile + fit equals tf.train.momentum(lr, 0.9, useNesterov) bitwise when weightDecay = 0', async () => {
    const { x, y } = dataset();
    const ours = mlp('ours');
    const reference = mlp('ref');
    reference.setWeights(ours.getWeights());
    ours.compile({ optimizer: new NesterovSGD({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    reference.compile({ optimizer: tf.train.momentum(0.1, 0.9, true), loss: 'meanSquaredError' });
    const fit = { epochs: 4, batchSize: 4, shuffle: false, verbose: 0 as const };
    const h1 = await ours.fit(x, y, fit);
    await reference.fit(x, y, fit);
    expect(ours.optimizer.iterations).toBe(8);
    const lossCurve = h1.history.loss as number[];
    expect(lossCurve[3]).toBeLessThan(lossCurve[0] as number);
    ours.getWeights().forEach((w, i) => {
      expect(Array.from(w.dataSync())).toEqual(Array.from(reference.getWeights()[i]?.dataSync() ?? []));
    });
    tf.dispose([x, y]);
  });

  it('weight decay reaches kernels only: with a zero loss, kernels follow the float32 closed form, biases stay', () => {
    const model = mlp('decay');
    const initial = model.trainableWeights.map((w) => w.read().dataSync().slice());
    const optimizer = new NesterovSGD({ learningRate: 0.5, weightDecay: 0.1 });
    model.compile({ optimizer, loss: 'meanSquaredError' });
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    // The loss is identically zero, so the only gradient left is the decay term wd * w.
    optimizer.minimize(
      () => tf.mul(0, tf.sum(model.predict(tf.ones([1, 3])) as tf.Tensor)) as tf.Scalar,
      false,
      vars,
    );
    const [wd, m] = [Math.fround(0.1), Math.fround(0.9)];
    const f = Math.fround;
    model.trainableWeights.forEach((w, i) => {
      const was = Array.from(initial[i] ?? []);
      // First Nesterov step: d = wd*w, buffer = d, w -= lr * (d + m * buffer).
      const decayed = was.map((v) => {
        const d = f(wd * v);
        return f(v - f(0.5 * f(d + f(m * d))));
      });
      const decays = noBiasDecay(w.name);
      expect(decays).toBe(w.name.endsWith('kernel'));
      expect(Array.from(w.read().dataSync()), w.name).toEqual(decays ? decayed : was);
    });
  });

  it('saves with includeOptimizer and reloads as NesterovSGD with its momentum (same process, renamed variables)', async () => {
    const { x, y } = dataset();
    const model = mlp('saved');
    model.compile({ optimizer: new NesterovSGD({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    const fit = { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 as const };
    await model.fit(x, y, { ...fit, epochs: 2 });
    const artifacts = await memorySave(model);
    expect(artifacts.trainingConfig?.optimizer_config).toMatchObject({ class_name: 'NesterovSGD' });
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(loaded.optimizer).toBeInstanceOf(NesterovSGD);
    expect(loaded.optimizer.iterations).toBe(2);
    expect(loaded.trainableWeights[0]?.name).not.toBe(model.trainableWeights[0]?.name);
    await model.fit(x, y, fit);
    await loaded.fit(x, y, fit);
    model.getWeights().forEach((w, i) => {
      expect(Array.from(loaded.getWeights()[i]?.dataSync() ?? [])).toEqual(Array.from(w.dataSync()));
    });
    tf.dispose([x, y]);
  });

  it('noBiasDecay on real tfjs-layers names: kernels yes; bias, BN gamma/beta no (also with _1 suffixes)', () => {
    const build = () =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [5, 5, 1], name: 'conv1' }),
          tf.layers.batchNormalization({ name: 'bn1' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 2, name: 'fc' }),
        ],
      });
    for (const model of [build(), build()]) {
      const decided = Object.fromEntries(
        model.trainableWeights.map((w) => [w.name.replace(/_1$/, ''), noBiasDecay(w.name)]),
      );
      expect(decided).toEqual({
        'conv1/kernel': true,
        'conv1/bias': false,
        'bn1/gamma': false,
        'bn1/beta': false,
        'fc/kernel': true,
        'fc/bias': false,
      });
    }
    expect(noBiasDecay('layer1.0.downsample.1/kernel')).toBe(true);
    expect(noBiasDecay('fc.bias')).toBe(false);
  });
});
