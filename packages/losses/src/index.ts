export { assertFinite } from './assert-finite.js';
export { type CrossEntropyOptions, crossEntropy, type Reduction } from './cross-entropy.js';
export { type DistillationForm, type DistillationOptions, distillationLoss } from './distillation.js';
export { type SmoothingForm, smoothTargets } from './smooth-targets.js';
export { stopGradient } from './stop-gradient.js';
