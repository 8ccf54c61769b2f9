export { checkIndex, type Dataset, type Sample } from './dataset.js';
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_INSTALL,
  FashionMnist,
  type FashionMnistOptions,
  fashionMnist,
} from './fashion-mnist.js';
export {
  type DecodeOptions,
  decodeImage,
  type ImageInput,
  type ImageTensor,
  type Transform,
} from './image.js';
export {
  findSplitFolder,
  type IgnoredFile,
  IMAGE_EXTENSIONS,
  ImageFolder,
  type ImageFolderOptions,
  ImageFolderSplit,
  imageFolder,
  imageFolderSplit,
  SPLIT_FOLDERS,
} from './image-folder.js';
export { type Batch, DataLoader, type DataLoaderOptions, type SkippedItem } from './loader.js';
export {
  MAX_SYNTHETIC_CLASSES,
  type SyntheticImageFolder,
  type SyntheticImageFolderOptions,
  syntheticClassName,
  writeSyntheticImageFolder,
} from './synthetic.js';
export {
  FatalDatasetError,
  WorkerDataset,
  type WorkerDatasetOptions,
  workerDataset,
} from './worker-dataset.js';
