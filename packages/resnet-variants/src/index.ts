export {
  type BatchNormSpec,
  type BlockPlan,
  type ConvSpec,
  planBatchNorms,
  planConvs,
  type ResNetPlan,
  resnetPlan,
  type ShortcutPlan,
  type StemPlan,
} from './architecture.js';
export { AvgPool2x2Ceil } from './avg-pool-ceil.js';
export { BatchNorm } from './batch-norm.js';
export { type BatchNormTrainingResult, batchNormTraining } from './batch-norm-training.js';
export {
  DEFAULT_RESNET_CONFIG,
  minInputSize,
  RESNET_DEPTHS,
  RESNET_VARIANTS,
  type ResNetConfig,
  type ResNetDepth,
  type ResNetInit,
  type ResNetStem,
  type ResNetVariant,
  resolveResNetConfig,
} from './config.js';
export { resnet } from './model.js';
export { isDecayedVariable, type ParameterGroups, parameterGroups } from './parameter-groups.js';
export { profile, type ResNetProfile } from './profile.js';
export {
  decodeSafetensors,
  encodeSafetensors,
  type SafetensorsDtype,
  type SafetensorsEntry,
  type SafetensorsFile,
} from './safetensors.js';
export {
  type LoadSafetensorsOptions,
  type LoadSafetensorsResult,
  loadSafetensors,
  stateDictKeys,
  toSafetensors,
} from './weights.js';
