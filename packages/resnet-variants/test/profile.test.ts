import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { profile, RESNET_DEPTHS, RESNET_VARIANTS, resnet, resnetPlan } from '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('profile at 224 px, 1000 classes', () => {
  it('matches the paper for ResNet-50 A, B, C and D', () => {
    // Bag of Tricks, Table 5 / timm: params exact, MACs to the paper's precision.
    expect(profile({ depth: 50, variant: 'A' }).params).toBe(25_557_032);
    expect(profile({ depth: 50, variant: 'B' }).params).toBe(25_557_032);
    expect(profile({ depth: 50, variant: 'C' }).params).toBe(25_576_264);
    expect(profile({ depth: 50, variant: 'D' }).params).toBe(25_576_264);
    expect(profile({ depth: 50, variant: 'A' }).macs / 1e9).toBeCloseTo(3.858, 3);
    expect(profile({ depth: 50, variant: 'B' }).macs / 1e9).toBeCloseTo(4.089, 3);
    expect(profile({ depth: 50, variant: 'C' }).macs / 1e9).toBeCloseTo(4.329, 3);
    expect(profile({ depth: 50, variant: 'D' }).macs / 1e9).toBeCloseTo(4.33, 2);
  });

  it('matches torchvision (variant B) at every depth', () => {
    // torchvision.models docs: params and GFLOPS (multiply-accumulates) of resnet18/34/50/101/152.
    const torchvision = {
      18: [11_689_512, 1.81],
      34: [21_797_672, 3.66],
      50: [25_557_032, 4.09],
      101: [44_549_160, 7.8],
      152: [60_192_808, 11.51],
    } as const;
    for (const depth of RESNET_DEPTHS) {
      const [params, gmacs] = torchvision[depth];
      const p = profile({ depth, variant: 'B' });
      expect(p.params).toBe(params);
      expect(Math.abs(p.macs / 1e9 - gmacs)).toBeLessThan(0.006);
    }
  });

  it('counts the BN running stats apart from the parameters', () => {
    // torchvision's resnet50: 53 batch norms over 26,560 channels (summed with torch), 2 buffers per channel.
    expect(profile({ depth: 50, variant: 'B' }).buffers).toBe(2 * 26_560);
  });
});

function builtCounts(model: tf.LayersModel) {
  const size = (shape: (number | null)[]) => shape.reduce((a: number, b) => a * (b ?? 1), 1);
  const params = model.trainableWeights.reduce((s, w) => s + size(w.shape), 0);
  const buffers = model.nonTrainableWeights.reduce((s, w) => s + size(w.shape), 0);
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'Conv2D') {
      const [kh, kw, cin, cout] = (layer.getWeights()[0] as tf.Tensor).shape;
      const [, oh, ow] = layer.outputShape as number[];
      macs +=
        (kh as number) *
        (kw as number) *
        (cin as number) *
        (cout as number) *
        (oh as number) *
        (ow as number);
    } else if (cls === 'Dense') {
      const [cin, cout] = (layer.getWeights()[0] as tf.Tensor).shape;
      macs += (cin as number) * (cout as number);
    }
  }
  return { params, buffers, macs };
}

describe('profile equals the built model', () => {
  for (const depth of RESNET_DEPTHS) {
    it(`depth ${depth}, every variant and stem (width 1/16, 10 classes)`, () => {
      for (const variant of RESNET_VARIANTS) {
        for (const [stem, inputSize, inputChannels] of [
          ['imagenet', 35, 3],
          ['cifar', 28, 1],
        ] as const) {
          const config = {
            depth,
            variant,
            stem,
            inputSize,
            inputChannels,
            width: 1 / 16,
            numClasses: 10,
            seed: 1,
          };
          const model = resnet(config);
          expect(builtCounts(model)).toEqual(profile(config));
          const plan = resnetPlan(config);
          expect(model.outputShape).toEqual([null, 10]);
          const lastConv = model.getLayer(plan.blocks.at(-1)?.convs.at(-1)?.name as string);
          expect((lastConv.outputShape as number[])[1]).toBe(plan.featureSize);
          model.dispose();
        }
      }
    });
  }
});
