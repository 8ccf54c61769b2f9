import { describe, expect, it } from 'vitest';
import { DEFAULT_RESNET_CONFIG, minInputSize, type ResNetConfig, resolveResNetConfig } from '../src/index.js';

describe('resolveResNetConfig', () => {
  it('fills the defaults: ResNet-50-D, 1000 classes, 224 px RGB, imagenet stem, width 1, Xavier', () => {
    expect(resolveResNetConfig({})).toEqual(DEFAULT_RESNET_CONFIG);
    expect(resolveResNetConfig({ depth: 18, inputChannels: 1, seed: 3 })).toMatchObject({
      depth: 18,
      variant: 'D',
      inputChannels: 1,
      seed: 3,
    });
  });

  const bad: [string, Partial<ResNetConfig>, RegExp][] = [
    ['depth', { depth: 42 as ResNetConfig['depth'] }, /ResNetConfig\.depth .*18, 34, 50, 101, 152.*got 42/],
    ['variant', { variant: 'E' as ResNetConfig['variant'] }, /ResNetConfig\.variant .*got "E"/],
    ['width 0', { width: 0 }, /ResNetConfig\.width .*got 0/],
    ['width NaN', { width: Number.NaN }, /ResNetConfig\.width/],
    ['numClasses 0', { numClasses: 0 }, /ResNetConfig\.numClasses must be an integer >= 1, got 0/],
    ['numClasses 2.5', { numClasses: 2.5 }, /ResNetConfig\.numClasses .*got 2\.5/],
    ['inputChannels', { inputChannels: 0 }, /ResNetConfig\.inputChannels .*got 0/],
    ['stem', { stem: 'tiny' as ResNetConfig['stem'] }, /ResNetConfig\.stem .*got "tiny"/],
    ['init', { init: 'zeros' as ResNetConfig['init'] }, /ResNetConfig\.init .*got "zeros"/],
    ['seed', { seed: 1.5 }, /ResNetConfig\.seed must be an integer, got 1\.5/],
    ['inputSize too small (imagenet)', { inputSize: 16 }, /ResNetConfig\.inputSize 16 is too small .*>= 17/],
    ['inputSize too small (cifar)', { inputSize: 4, stem: 'cifar' }, /ResNetConfig\.inputSize 4 .*>= 5/],
  ];
  for (const [what, partial, message] of bad) {
    it(`rejects ${what} with a RangeError naming the field`, () => {
      expect(() => resolveResNetConfig(partial)).toThrow(RangeError);
      expect(() => resolveResNetConfig(partial)).toThrow(message);
    });
  }

  it('minInputSize is the smallest size whose last stride-2 stage still sees a 2x2 map', () => {
    // imagenet: 17 -> 9 (stem) -> 5 (max pool) -> 3 (layer2) -> 2 (layer3) -> 1 (layer4)
    expect(minInputSize('imagenet')).toBe(17);
    // cifar: 5 -> 5 -> 3 (layer2) -> 2 (layer3) -> 1 (layer4)
    expect(minInputSize('cifar')).toBe(5);
    expect(() => resolveResNetConfig({ inputSize: 17 })).not.toThrow();
    expect(() => resolveResNetConfig({ inputSize: 5, stem: 'cifar' })).not.toThrow();
  });
});
