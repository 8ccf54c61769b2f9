// One bench worker: runs imagenetTrain() over the paths it is sent, `inFlight` images at a time, and hands
// the results back to the main thread (transferred, not copied), as a data loader would.
import { parentPort, workerData } from 'node:worker_threads';
import { Rng } from '@bot/rng';
import sharp from 'sharp';
import { imagenetTrain, type PixelPath, type Resampler, usePixelPath } from '../src/index.js';

sharp.concurrency(1);
sharp.cache(false);
const { inFlight, resampler, pixelPath } = workerData as {
  inFlight: number;
  resampler: Resampler;
  pixelPath: PixelPath;
};
if (usePixelPath(pixelPath) !== pixelPath)
  throw new Error(`the ${pixelPath} pixel path is not available here`);
const pipeline = imagenetTrain({ resampler });

parentPort?.on('message', async ({ paths, pass }: { paths: string[]; pass: number }) => {
  let next = 0;
  const outputs: Float32Array[] = new Array(paths.length);
  const lane = async () => {
    while (next < paths.length) {
      const i = next++;
      outputs[i] = (await pipeline.apply(paths[i] as string, Rng.derive(1, pass, i))).data;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  parentPort?.postMessage(
    outputs,
    outputs.map((o) => o.buffer as ArrayBuffer),
  );
});
