// Runs inside a worker thread started by `workerDataset` (src/worker-dataset.ts): builds the dataset from the
// user's module, then answers load requests. Plain JS so that it runs from src (tests) and dist alike.
import { parentPort, workerData } from 'node:worker_threads';
import { Rng } from '@bot/rng';

const { moduleUrl, args } = workerData;
let dataset;
try {
  const mod = await import(moduleUrl);
  if (typeof mod.createDataset !== 'function') {
    throw new TypeError(`module ${moduleUrl} must export createDataset(args) returning a Dataset`);
  }
  dataset = await mod.createDataset(args);
  parentPort.postMessage({ type: 'ready', length: dataset.length, classes: [...dataset.classes] });
} catch (error) {
  parentPort.postMessage({
    type: 'init-error',
    message: error instanceof Error ? error.message : String(error),
  });
}

parentPort.on('message', async ({ id, index, state }) => {
  try {
    const { image, label, sourceSize } = await dataset.load(index, Rng.fromState(state));
    let { data } = image;
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) data = data.slice();
    parentPort.postMessage(
      { type: 'done', id, data, shape: image.shape, layout: image.layout, label, sourceSize },
      [data.buffer],
    );
  } catch (error) {
    let path;
    try {
      path = dataset.describe?.(index);
    } catch {}
    const message = error instanceof Error ? error.message : String(error);
    parentPort.postMessage({ type: 'failed', id, message, path });
  }
});
