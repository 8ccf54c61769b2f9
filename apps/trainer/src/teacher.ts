import * as tf from '@tensorflow/tfjs';
import { architectureOf, assignWeights, readCheckpoint } from './checkpoint.js';
import type { TrainConfig } from './config.js';
import { TrainerError } from './errors.js';
import { modelFromSafetensors, readSafetensorsFile } from './initial-checkpoint.js';
import { type ResNetConfig, resnet, resnetConfigOf } from './integrations/model.js';

export interface LoadedModel {
  readonly model: tf.LayersModel;
  readonly resnetConfig: ResNetConfig;
  readonly description: string;
}

/**
 * Loads a distillation teacher from a bot-train checkpoint (self-describing) or a .safetensors file with
 * timm/torchvision key names (architecture from teacherDepth/teacherVariant/teacherWidth). The teacher must
 * predict the same classes as the data.
 */
export async function loadTeacher(
  config: TrainConfig,
  path: string,
  numClasses: number,
  inputChannels: number,
): Promise<LoadedModel> {
  if (path.endsWith('.safetensors')) {
    const { bytes, shapes } = await readSafetensorsFile(path, 'teacher');
    const fc = shapes.get('fc.weight');
    if (!fc)
      throw new TrainerError(
        `teacher ${path} has no fc.weight: not a ResNet state_dict with timm/torchvision key names`,
      );
    if (fc[0] !== numClasses) {
      throw new TrainerError(
        `teacher ${path} predicts ${fc[0]} classes but the data has ${numClasses}: distillation needs the same classes`,
      );
    }
    const resnetConfig = resnetConfigOf(
      {
        ...config,
        depth: config.teacherDepth,
        variant: config.teacherVariant,
        width: config.teacherWidth,
        zeroGamma: false,
      },
      numClasses,
      inputChannels,
    );
    const model = modelFromSafetensors(
      resnetConfig,
      bytes,
      `teacher ${path} does not fit ResNet-${config.teacherDepth}-${config.teacherVariant} width ${config.teacherWidth}`,
    );
    return {
      model,
      resnetConfig,
      description: `${path} (ResNet-${config.teacherDepth}-${config.teacherVariant})`,
    };
  }
  const { state, weights } = await readCheckpoint(path);
  if (state.numClasses !== numClasses) {
    throw new TrainerError(
      `teacher ${path} predicts ${state.numClasses} classes but the data has ${numClasses}: distillation needs the same classes`,
    );
  }
  if (state.inputChannels !== inputChannels) {
    throw new TrainerError(
      `teacher ${path} takes ${state.inputChannels} input channel(s) but the data has ${inputChannels}`,
    );
  }
  const resnetConfig = resnetConfigOf(
    { ...state.config, inputSize: config.inputSize },
    numClasses,
    inputChannels,
  );
  const model = resnet(resnetConfig);
  assignWeights(model, weights, `teacher ${path}`, (data, shape) => tf.tensor(data, shape));
  return {
    model,
    resnetConfig,
    description: `${path} (${architectureOf(state.config, numClasses, inputChannels)})`,
  };
}
