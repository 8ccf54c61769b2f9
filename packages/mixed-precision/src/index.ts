export {
  FLOAT16_MAX,
  FLOAT16_MIN_NORMAL,
  FLOAT16_MIN_SUBNORMAL,
  float16BitsToFloat32Bits,
  float32BitsToFloat16Bits,
  fromFloat16Bits,
  roundNumberToFloat16,
  roundToFloat16,
  toFloat16Bits,
} from './float16.js';
export { type Float16Gradients, float16Gradients } from './float16-gradients.js';
export {
  allFinite,
  DynamicLossScaler,
  finiteFlag,
  type LossScalerOptions,
  type LossScalerState,
} from './loss-scaler.js';
export {
  type Float16Gradient,
  ROUND_TO_FLOAT16_KERNEL,
  type RoundTensorOptions,
  roundTensorToFloat16,
  roundTensorValuesToFloat16,
} from './round-tensor.js';
export {
  type LayerLike,
  type MixedPrecisionOptions,
  type MixedPrecisionStepResult,
  MixedPrecisionTrainer,
  type ModelLike,
  roundLayerOutputs,
} from './trainer.js';
