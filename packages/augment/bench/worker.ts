// One bench worker: runs imagenetTrain() over the paths it is sent, `inFlight` images at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { Rng } from '@bot/rng';
import sharp from 'sharp';
import { imagenetTrain, type Resampler } from '../src/index.js';

sharp.concurrency(1);
sharp.cache(false);
const { inFlight, resampler } = workerData as { inFlight: number; resampler: Resampler };
const pipeline = imagenetTrain({ resampler });

parentPort?.on('message', async ({ paths, pass }: { paths: string[]; pass: number }) => {
  let next = 0;
  let checksum = 0;
  const lane = async () => {
    while (next < paths.length) {
      const i = next++;
      const out = await pipeline.apply(paths[i] as string, Rng.derive(1, pass, i));
      checksum += out.data[0] as number;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  parentPort?.postMessage(checksum);
});
