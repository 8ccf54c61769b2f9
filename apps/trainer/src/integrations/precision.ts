export { DynamicLossScaler, MixedPrecisionTrainer } from '@bot/mixed-precision';
