import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AvgPool2x2Ceil,
  decodeSafetensors,
  isDecayedVariable,
  parameterGroups,
  planBatchNorms,
  planConvs,
  resnet,
  resnetPlan,
  stateDictKeys,
} from '../src/index.js';

const tiny = { width: 1 / 16, numClasses: 10, inputSize: 32, seed: 7 } as const;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** PyTorch AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False), written out loop by loop. */
function referenceCeilAvgPool(x: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const oh = Math.ceil((h as number) / 2);
  const ow = Math.ceil((w as number) / 2);
  const out = new Float32Array((n as number) * oh * ow * (c as number));
  for (let b = 0; b < (n as number); b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let k = 0; k < (c as number); k++) {
          let sum = 0;
          let count = 0;
          for (let y = 2 * i; y < Math.min(2 * i + 2, h as number); y++)
            for (let x2 = 2 * j; x2 < Math.min(2 * j + 2, w as number); x2++) {
              sum += x[((b * (h as number) + y) * (w as number) + x2) * (c as number) + k] as number;
              count += 1;
            }
          out[((b * oh + i) * ow + j) * (c as number) + k] = sum / count;
        }
  return out;
}

describe('AvgPool2x2Ceil', () => {
  for (const shape of [
    [2, 7, 7, 3],
    [1, 6, 5, 2],
    [1, 4, 4, 1],
    [1, 1, 3, 2],
  ]) {
    it(`matches PyTorch's ceil-mode, padding-excluded 2x2 average on [${shape}]`, () => {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
      const layer = new AvgPool2x2Ceil({});
      const y = layer.apply(x) as tf.Tensor;
      const want = referenceCeilAvgPool(x.dataSync() as Float32Array, shape);
      expect(y.shape).toEqual(layer.computeOutputShape(shape));
      const got = y.dataSync();
      for (const [i, v] of want.entries()) expect(got[i]).toBeCloseTo(v, 5);
      tf.dispose([x, y]);
    });
  }

  it('passes the gradient of the average (each input gets 1/count of its window)', () => {
    const x = tf.ones([1, 3, 3, 1]);
    const layer = new AvgPool2x2Ceil({});
    const g = tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(x);
    // windows: 2x2 (1/4 each), 2x1 (1/2), 1x2 (1/2), 1x1 (1)
    expect(Array.from(g.dataSync())).toEqual([0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.5, 0.5, 1]);
    tf.dispose([x, g]);
  });
});

describe('resnet()', () => {
  it('names every weight with the timm state_dict key the PyTorch fixture carries', () => {
    const config = { ...tiny, depth: 50, variant: 'D', inputSize: 33 } as const;
    const torchKeys = [
      ...decodeSafetensors(
        new Uint8Array(readFileSync(join(import.meta.dirname, 'fixtures', 'r50d-imagenet-33.safetensors'))),
      ).tensors.entries(),
    ].map(([k, t]) => ({ key: k, shape: t.shape }));
    expect(stateDictKeys(config).sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      torchKeys.sort((a, b) => a.key.localeCompare(b.key)),
    );
    const model = resnet(config);
    const layerNames = new Set(model.layers.map((l) => l.name));
    for (const c of planConvs(resnetPlan(config))) expect(layerNames.has(c.name)).toBe(true);
    expect(layerNames.has('layer1.0.downsample.1')).toBe(true); // D's stride-1 shortcut keeps index 1
    expect(layerNames.has('layer1.0.downsample.0')).toBe(false); // its pool is an Identity: no layer
    expect(layerNames.has('layer2.0.downsample.0')).toBe(true); // the avg pool
    model.dispose();
  });

  it('uses PyTorch batch norm settings: eps 1e-5, running stats moved 0.1 of the way per step', () => {
    const model = resnet({ ...tiny, depth: 18, variant: 'B' });
    const bn = model.getLayer('bn1');
    expect(bn.getConfig()).toMatchObject({ epsilon: 1e-5, momentum: 0.9 });
    const x = tf.randomNormal([2, 32, 32, 3], 2, 1, 'float32', 1);
    const conv = tf.model({
      inputs: model.inputs,
      outputs: model.getLayer('conv1').output as tf.SymbolicTensor,
    });
    const pre = conv.predict(x) as tf.Tensor;
    const batchMean = tf.mean(pre, [0, 1, 2]);
    tf.tidy(() => {
      model.apply(x, { training: true });
    });
    const movingMean = bn.getWeights()[2] as tf.Tensor;
    const want = tf.mul(batchMean, 0.1);
    expect(Array.from(movingMean.dataSync()).map((v, i) => v - (want.dataSync()[i] as number))).toEqual(
      Array.from(want.dataSync()).map(() => expect.closeTo(0, 5)),
    );
    tf.dispose([x, pre, batchMean, want]);
    model.dispose();
  });

  it('starts the last BN of every block at gamma 0 with zeroGamma, and only those', () => {
    const config = { ...tiny, depth: 50, variant: 'D', zeroGamma: true } as const;
    const model = resnet(config);
    const plan = resnetPlan(config);
    const last = new Set(plan.blocks.map((b) => b.bns.at(-1)?.name));
    for (const bn of planBatchNorms(plan)) {
      const gamma = Array.from(model.getLayer(bn.name).getWeights()[0]?.dataSync() ?? []);
      expect(gamma.every((g) => g === (last.has(bn.name) ? 0 : 1))).toBe(true);
    }
    // Every block is the identity at initialisation, so the first block's output is relu(its input).
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 2);
    const probe = tf.model({
      inputs: model.inputs,
      outputs: [
        model.getLayer('maxpool').output,
        model.getLayer('layer2.0.act3').output,
      ] as tf.SymbolicTensor[],
    });
    const [pooled, block] = probe.predict(x) as tf.Tensor[];
    expect(pooled?.shape).toEqual([1, 8, 8, 4]);
    expect(block?.shape).toEqual([1, 4, 4, 32]);
    tf.dispose([x, pooled as tf.Tensor, block as tf.Tensor]);
    model.dispose();
  });

  it('is reproducible from a seed and draws a different stream per layer', () => {
    const a = resnet({ ...tiny, depth: 18, variant: 'C' });
    const b = resnet({ ...tiny, depth: 18, variant: 'C' });
    const c = resnet({ ...tiny, depth: 18, variant: 'C', seed: 8 });
    const kernel = (m: tf.LayersModel, name: string) =>
      Array.from(m.getLayer(name).getWeights()[0]?.dataSync() ?? []);
    expect(kernel(a, 'layer1.0.conv1')).toEqual(kernel(b, 'layer1.0.conv1'));
    expect(kernel(a, 'layer1.0.conv1')).not.toEqual(kernel(c, 'layer1.0.conv1'));
    expect(kernel(a, 'layer1.0.conv1')).not.toEqual(kernel(a, 'layer1.0.conv2')); // same shape, other stream
    for (const m of [a, b, c]) m.dispose();
  });

  it('initialises kernels with Xavier uniform (paper) or He normal (GluonCV) scales', () => {
    const config = {
      ...tiny,
      width: 1 / 2,
      depth: 18,
      variant: 'B',
      numClasses: 1000,
      inputSize: 32,
    } as const;
    for (const init of ['xavier-uniform', 'he-normal'] as const) {
      const model = resnet({ ...config, init });
      const w = model.getLayer('layer4.0.conv2').getWeights()[0] as tf.Tensor; // [3, 3, 256, 256]
      const values = w.dataSync() as Float32Array;
      const fanIn = 9 * 256;
      const fanOut = 9 * 256;
      const variance = values.reduce((s, v) => s + v * v, 0) / values.length;
      if (init === 'xavier-uniform') {
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        expect(values.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThanOrEqual(limit);
        expect(Math.abs(variance / (limit ** 2 / 3) - 1)).toBeLessThan(0.01); // U(-a, a) has variance a^2 / 3
      } else {
        // tfjs draws He normal truncated at 2 std, which leaves ~77% of the nominal 2 / fan_in variance.
        expect(variance / (2 / fanIn)).toBeGreaterThan(0.7);
        expect(variance / (2 / fanIn)).toBeLessThan(1.01);
      }
      const bias = model.getLayer('fc').getWeights()[1] as tf.Tensor;
      expect(Array.from(bias.dataSync()).every((v) => v === 0)).toBe(true);
      model.dispose();
    }
  });

  it('trains: a few SGD steps on a fixed batch lower the loss (1-channel input, cifar stem)', () => {
    const model = resnet({ ...tiny, depth: 18, variant: 'D', stem: 'cifar', inputSize: 5, inputChannels: 1 });
    const x = tf.randomNormal([4, 5, 5, 1], 0, 1, 'float32', 5);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10);
    const optimizer = tf.train.sgd(0.05);
    const loss = () =>
      tf.tidy(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      );
    const first = (optimizer.minimize(loss, true) as tf.Scalar).dataSync()[0] as number;
    let last = first;
    for (let i = 0; i < 3; i++) last = (optimizer.minimize(loss, true) as tf.Scalar).dataSync()[0] as number;
    expect(last).toBeLessThan(first);
    tf.dispose([x, y]);
    model.dispose();
  }, 30_000);

  it('saves and reloads in the tfjs format, custom D pool included', async () => {
    const config = { ...tiny, depth: 18, variant: 'D', inputSize: 33 } as const;
    const model = resnet(config);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const restored = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    const x = tf.randomNormal([1, 33, 33, 3], 0, 1, 'float32', 9);
    const a = model.predict(x) as tf.Tensor;
    const b = restored.predict(x) as tf.Tensor;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    model.dispose();
    restored.dispose();
  });
});

describe('parameterGroups / isDecayedVariable', () => {
  it('decays conv and dense kernels only; biases and BN gamma/beta are not decayed', () => {
    const config = { ...tiny, depth: 50, variant: 'D' } as const;
    const model = resnet(config);
    const plan = resnetPlan(config);
    const { decay, noDecay } = parameterGroups(model);
    expect(decay.length).toBe(planConvs(plan).length + 1);
    expect(noDecay.length).toBe(2 * planBatchNorms(plan).length + 1);
    expect(new Set([...decay, ...noDecay])).toEqual(new Set(model.trainableWeights.map((w) => w.name)));
    // The names are the ones the optimizer sees, even for a second model built in the same process.
    const registered = new Set(Object.keys(tf.engine().registeredVariables));
    for (const name of [...decay, ...noDecay]) expect(registered.has(name)).toBe(true);
    expect(decay.every(isDecayedVariable)).toBe(true);
    expect(noDecay.some(isDecayedVariable)).toBe(false);
    model.dispose();
  });

  it('reads tfjs variable names, suffixes included', () => {
    expect(isDecayedVariable('layer1.0.conv1/kernel')).toBe(true);
    expect(isDecayedVariable('layer1.0.conv1/kernel_3')).toBe(true);
    expect(isDecayedVariable('fc/kernel')).toBe(true);
    expect(isDecayedVariable('fc/bias')).toBe(false);
    expect(isDecayedVariable('bn1/gamma')).toBe(false);
    expect(isDecayedVariable('bn1/beta_2')).toBe(false);
    expect(isDecayedVariable('layer1.0.bn1/moving_mean')).toBe(false);
  });
});
