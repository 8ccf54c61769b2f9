import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

// Times `reps` 1024^3 matmuls on this thread's own wasm instance; posts the median GFLOP/s.
await tf.setBackend('wasm');
const n = 1024;
const a = tf.randomNormal([n, n]);
const b = tf.randomNormal([n, n]);
tf.matMul(a, b).dispose();
const times: number[] = [];
for (let i = 0; i < (workerData as { reps: number }).reps; i++) {
  const start = performance.now();
  const c = tf.matMul(a, b);
  c.dataSync();
  times.push(performance.now() - start);
  c.dispose();
}
times.sort((x, y) => x - y);
parentPort?.postMessage((2 * n ** 3) / (times[Math.floor(times.length / 2)] as number) / 1e6);
