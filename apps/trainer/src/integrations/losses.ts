export { crossEntropy, distillationLoss } from '@bot/losses';
