import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type {
  FromWorker,
  ReplicaBatch,
  ReplicaFactory,
  ReplicaSpec,
  ToWorker,
  VariableLayout,
} from './replica-protocol.js';
import { type BackendName, selectBackend } from './select-backend.js';

// One data-parallel replica (see replica-pool.ts). The shared buffer holds one gradient region per
// replica, then one weights region: [replicas + 1][total] float32.
const port = parentPort;
if (port === null) throw new Error('replica-worker.js must run in a worker thread');

let spec: ReplicaSpec;
let layout: VariableLayout[] = [];
let replica = 0;
let replicas = 1;
let shared: Float32Array;
let total = 0;
let microBatch = Number.POSITIVE_INFINITY;

function send(message: FromWorker) {
  (port as NonNullable<typeof port>).postMessage(message);
}

function writeVariables(target: Float32Array) {
  for (const [i, v] of spec.variables.entries()) {
    const entry = layout[i] as VariableLayout;
    target.set(v.dataSync() as Float32Array, entry.offset);
  }
}

async function handle(message: ToWorker) {
  switch (message.type) {
    case 'init': {
      replica = message.replica;
      replicas = message.replicas;
      microBatch = message.microBatch;
      const choice = await selectBackend(
        message.backend === undefined ? {} : { prefer: message.backend as BackendName },
      );
      const module = (await import(message.module)) as {
        createReplica?: ReplicaFactory;
        default?: ReplicaFactory;
      };
      const factory = module.createReplica ?? module.default;
      if (typeof factory !== 'function') {
        throw new Error(
          `replica module ${message.module} exports no createReplica function (nor a default export)`,
        );
      }
      spec = await factory(message.options, { replica, replicas });
      let offset = 0;
      layout = spec.variables.map((v) => {
        const entry = { name: v.name, shape: v.shape, offset, size: v.size };
        offset += v.size;
        return entry;
      });
      send({ type: 'ready', layout, backend: choice.name });
      return;
    }
    case 'share': {
      total = message.total;
      shared = new Float32Array(message.buffer);
      const weights = shared.subarray(replicas * total, (replicas + 1) * total);
      if (message.source) {
        writeVariables(weights);
      } else {
        for (const [i, v] of spec.variables.entries()) {
          const entry = layout[i] as VariableLayout;
          v.assign(tf.tensor(weights.slice(entry.offset, entry.offset + entry.size), entry.shape, 'float32'));
        }
      }
      send({ type: 'shared' });
      return;
    }
    case 'step': {
      const start = performance.now();
      const region = shared.subarray(replica * total, (replica + 1) * total);
      const batch = message.batch;
      if (batch === null) {
        region.fill(0);
        send({ type: 'grads', loss: 0, ms: 0 });
        return;
      }
      // Micro-batches: gradient accumulation inside the replica, weighted by micro-batch size so the
      // result is the shard's mean gradient.
      const [n, h, w, c] = batch.shape;
      const perImage = h * w * c;
      let loss = 0;
      const accumulated: (tf.Tensor | undefined)[] = spec.variables.map(() => undefined);
      for (let first = 0; first < n; first += microBatch) {
        const size = Math.min(microBatch, n - first);
        const weight = size / n;
        const part: ReplicaBatch =
          size === n
            ? batch
            : {
                images: batch.images.subarray(first * perImage, (first + size) * perImage),
                shape: [size, h, w, c],
                labels: batch.labels.subarray(first, first + size),
                ...(batch.targets === undefined
                  ? {}
                  : {
                      targets: batch.targets.subarray(
                        (first * batch.targets.length) / n,
                        ((first + size) * batch.targets.length) / n,
                      ),
                    }),
              };
        const { value, grads } = tf.variableGrads(() => spec.loss(part), spec.variables);
        // Accumulated on the backend (a JavaScript loop over the shared buffer ran at ~15 ns per value).
        for (const [i, v] of spec.variables.entries()) {
          const grad = grads[v.name];
          if (grad === undefined) continue;
          const previous = accumulated[i];
          accumulated[i] =
            size === n
              ? grad
              : tf.tidy(() => {
                  const scaled = tf.mul(grad, weight);
                  return previous === undefined ? scaled : tf.add(previous, scaled);
                });
          previous?.dispose();
          if (accumulated[i] !== grad) grad.dispose();
        }
        loss += weight * ((value.dataSync() as Float32Array)[0] as number);
        value.dispose();
      }
      for (const [i, entry] of layout.entries()) {
        const target = region.subarray(entry.offset, entry.offset + entry.size);
        const sum = accumulated[i];
        if (sum === undefined) target.fill(0);
        else target.set(sum.dataSync() as Float32Array);
        sum?.dispose();
      }
      send({ type: 'grads', loss, ms: performance.now() - start });
      return;
    }
    case 'apply': {
      // Every replica sums in the same order, so all of them apply bit-identical gradients.
      const named: tf.NamedTensorMap = {};
      for (const entry of layout) {
        named[entry.name] = tf.tidy(() => {
          let sum: tf.Tensor | null = null;
          for (let r = 0; r < replicas; r++) {
            const share = message.shares[r] as number;
            if (share === 0) continue;
            const from = r * total + entry.offset;
            const part = tf.tensor(shared.subarray(from, from + entry.size), entry.shape, 'float32');
            const weighted = share === 1 ? part : tf.mul(part, share);
            sum = sum === null ? weighted : tf.add(sum, weighted);
          }
          return sum ?? tf.zeros(entry.shape);
        });
      }
      spec.optimizer.applyGradients(named);
      tf.dispose(Object.values(named));
      send({ type: 'applied' });
      return;
    }
    case 'export': {
      writeVariables(shared.subarray(replicas * total, (replicas + 1) * total));
      send({ type: 'exported' });
      return;
    }
    case 'get-state': {
      if (typeof spec.getState !== 'function') throw new Error('the replica module defines no getState()');
      send({ type: 'state', state: await spec.getState() });
      return;
    }
    case 'set-state': {
      if (typeof spec.setState !== 'function') throw new Error('the replica module defines no setState()');
      await spec.setState(message.state);
      send({ type: 'state-set' });
      return;
    }
    case 'close':
      port?.close();
      return;
  }
}

port.on('message', (message: ToWorker) => {
  handle(message).catch((error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    send({ type: 'error', message: e.message, ...(e.stack === undefined ? {} : { stack: e.stack }) });
  });
});
