import type { Dataset } from '@bot/data';
import type { TrainConfig } from './config.js';
import { openData } from './integrations/data.js';

/** What the main thread sends each data worker. */
export interface DataWorkerArgs {
  readonly config: TrainConfig;
  readonly cacheDir: string;
}

/**
 * A data worker's dataset (@bot/data's workerDataset imports this module in worker threads): the run's
 * training set with its augmentation, built as the main thread builds it, so samples are byte-identical.
 */
export async function createDataset(args: DataWorkerArgs): Promise<Dataset> {
  return (await openData(args.config, args.cacheDir)).train;
}
