import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataLoader, imageFolder, writeSyntheticImageFolder } from '../src/index.js';
import { tempDir } from './helpers.js';

const dir = tempDir('train');
afterAll(() => dir.remove());

describe('the loader feeds a short training run', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await writeSyntheticImageFolder(dir.path, { classes: 4, perClass: 12, size: 16, seed: 2024 });
  });

  it('trains a tiny tfjs model on synthetic JPEGs and the loss goes down', async () => {
    const ds = imageFolder(dir.path);
    const loader = new DataLoader(ds, { batchSize: 8, seed: 1, dropLast: true });
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [16, 16, 3],
          filters: 8,
          kernelSize: 1,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.globalMaxPooling2d({}),
        tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    const optimizer = tf.train.adam(0.03);
    const epochLoss: number[] = [];
    let steps = 0;
    for (let epoch = 0; epoch < 4; epoch++) {
      let sum = 0;
      let count = 0;
      for await (const batch of loader.epoch(epoch)) {
        const loss = tf.tidy(() => {
          const x = tf.sub(tf.div(tf.tensor4d(batch.images, batch.shape), 127.5), 1);
          const y = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), ds.classes.length);
          return optimizer.minimize(
            () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar,
            true,
          )!;
        });
        sum += (await loss.data())[0]!;
        loss.dispose();
        count++;
        steps++;
      }
      epochLoss.push(sum / count);
    }
    expect(steps).toBe(4 * 6);
    expect(loader.skipped).toEqual([]);
    expect(epochLoss[0]).toBeGreaterThan(1.2); // about ln 4 = 1.39 at the start
    for (let e = 1; e < 4; e++) expect(epochLoss[e]!).toBeLessThan(epochLoss[e - 1]!);
    expect(epochLoss[3]!).toBeLessThan(0.75 * epochLoss[0]!); // measured: 1.40, 1.18, 1.04, 0.87
    model.dispose();
  });
});
