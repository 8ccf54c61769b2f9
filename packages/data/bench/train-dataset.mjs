// The dataset module that the bench's worker threads build: an ImageFolder through @bot/augment's imagenetTrain().
import { imagenetTrain } from '@bot/augment';
import { imageFolder } from '@bot/data';

export function createDataset({ root }) {
  return imageFolder(root, { transform: imagenetTrain() });
}
