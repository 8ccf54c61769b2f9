export { decayAll, GradientAccumulator, NesterovSGD, noBiasDecay } from '@bot/optim';
