import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSafetensors, type ResNetConfig, resnet, toSafetensors } from '../src/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const CASES = [
  'r18b-imagenet-32',
  'r18c-imagenet-32',
  'r18d-imagenet-33',
  'r18d-cifar-28-grey',
  'r50a-imagenet-32',
  'r50b-imagenet-32',
  'r50c-imagenet-32',
  'r50d-imagenet-33',
];

interface Fixture {
  config: Partial<ResNetConfig>;
  input: string;
  params: number;
  logits: { shape: number[]; data: number[] };
}

function readFixture(name: string) {
  const fixture = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Fixture;
  const input = JSON.parse(readFileSync(join(FIXTURES, fixture.input), 'utf8')) as {
    shape: [number, number, number, number];
    data: number[];
  };
  const weights = new Uint8Array(readFileSync(join(FIXTURES, `${name}.safetensors`)));
  return { fixture, input, weights };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('golden logits against PyTorch (timm-structured ResNets, eval mode)', () => {
  for (const name of CASES) {
    it(`${name} reproduces the PyTorch logits to 1e-4`, () => {
      const { fixture, input, weights } = readFixture(name);
      const model = resnet(fixture.config);
      const result = loadSafetensors(model, fixture.config, weights);
      expect(result.unexpected).toEqual([]);
      const x = tf.tensor4d(input.data, input.shape);
      const logits = model.predict(x) as tf.Tensor;
      expect(logits.shape).toEqual(fixture.logits.shape);
      const got = logits.dataSync();
      let maxErr = 0;
      fixture.logits.data.forEach((v, i) => {
        maxErr = Math.max(maxErr, Math.abs((got[i] as number) - v));
      });
      expect(maxErr).toBeLessThan(1e-4);
      // The same weights written back out are byte-identical tensors under the same keys.
      const again = loadSafetensors(
        resnet(fixture.config),
        fixture.config,
        toSafetensors(model, fixture.config),
      );
      expect(again.loaded.sort()).toEqual(result.loaded.sort());
      tf.dispose([x, logits]);
      model.dispose();
    });
  }
});
