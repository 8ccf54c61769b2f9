export { type ClippedGradients, clipByGlobalNorm } from './clip-by-global-norm.js';
export { decayAll, noBiasDecay } from './decay-filter.js';
export { GradientAccumulator, type GradientAccumulatorOptions } from './gradient-accumulator.js';
export type { Gradients, NamedTensor } from './named-gradients.js';
export { NesterovSGD, type NesterovSGDOptions, type SetStateOptions } from './nesterov-sgd.js';
export {
  type MomentumBuffer,
  type NesterovSGDState,
  type NesterovSGDStateJSON,
  stateFromJSON,
  stateToJSON,
} from './optimizer-state.js';
export type { Schedule } from './schedule.js';
