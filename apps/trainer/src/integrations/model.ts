import {
  isDecayedVariable,
  loadSafetensors,
  profile,
  type ResNetConfig,
  resnet,
  toSafetensors,
} from '@bot/resnet-variants';
import type { TrainConfig } from '../config.js';

export { isDecayedVariable, loadSafetensors, profile, type ResNetConfig, resnet, toSafetensors };

/** The @bot/resnet-variants config of a run (classes and channels come from the data). */
export function resnetConfigOf(
  config: Pick<
    TrainConfig,
    'depth' | 'variant' | 'width' | 'stem' | 'inputSize' | 'zeroGamma' | 'init' | 'seed'
  >,
  numClasses: number,
  inputChannels: number,
): ResNetConfig {
  return {
    depth: config.depth,
    variant: config.variant,
    numClasses,
    inputSize: config.inputSize,
    inputChannels,
    stem: config.stem,
    width: config.width,
    zeroGamma: config.zeroGamma,
    init: config.init,
    seed: config.seed,
  };
}
