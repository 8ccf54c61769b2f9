export { type BindOptions, bindOptimizer, type OptimizerBinding, setLearningRate } from './bind-optimizer.js';
export { constant } from './constant.js';
export { type CosineDecayOptions, cosineDecay } from './cosine-decay.js';
export { type CosineWarmRestartsOptions, cosineWarmRestarts } from './cosine-warm-restarts.js';
export { type ExponentialOptions, exponential } from './exponential.js';
export { join } from './join.js';
export { type LinearOptions, linear, warmup } from './linear.js';
export { type MultiStepOptions, multiStep } from './multi-step.js';
export { type PolynomialOptions, polynomial } from './polynomial.js';
export {
  type BaselineRecipeOptions,
  baselineRecipe,
  type EfficientRecipeOptions,
  efficientRecipe,
  type WarmupCosineOptions,
  warmupCosine,
} from './recipes.js';
export { type Sample, type SampleOptions, sampleSchedule, toCsv, toJson } from './sample.js';
export { epochsToSteps, type LinearScalingOptions, linearScaling, stepsPerEpoch } from './scaling.js';
export type { Schedule } from './schedule.js';
export { type StepDecayOptions, stepDecay } from './step-decay.js';
export { type LineChartOptions, type LineSeries, svgLineChart } from './svg-line-chart.js';
export { type ToSvgOptions, toSvg } from './to-svg.js';
