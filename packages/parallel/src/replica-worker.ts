import { parentPort } from 'node:worker_threads';
import { dispose, type NamedTensorMap, tensor } from '@tensorflow/tfjs-core';
import type { FromWorker, ReplicaFactory, ToWorker, VariableLayout } from './protocol.js';
import { selectWorkerBackend } from './select-backend.js';
import { TrainingStep } from './training-step.js';

// One data-parallel replica (see replica-pool.ts). The shared buffer holds one gradient region per
// replica, then one weights region: [replicas + 1][total] float32.
const port = parentPort;
if (port === null) throw new Error('replica-worker.js must run in a worker thread');

interface Replica {
  spec: Awaited<ReturnType<ReplicaFactory>>;
  step: TrainingStep;
  layout: VariableLayout[];
  index: number;
  replicas: number;
}

let replica: Replica;
let shared: Float32Array;
let total = 0;

function send(message: FromWorker) {
  (port as NonNullable<typeof port>).postMessage(message);
}

function region(r: number): Float32Array {
  return shared.subarray(r * total, (r + 1) * total);
}

function writeVariables(target: Float32Array) {
  for (const [i, v] of replica.step.variables.entries()) {
    target.set(v.dataSync() as Float32Array, (replica.layout[i] as VariableLayout).offset);
  }
}

/** Replica r's gradients in the shared buffer, as tensors keyed by variable name. */
function gradientsOf(r: number): NamedTensorMap {
  const from = region(r);
  const named: NamedTensorMap = {};
  for (const entry of replica.layout) {
    named[entry.name] = tensor(
      from.subarray(entry.offset, entry.offset + entry.size),
      entry.shape,
      'float32',
    );
  }
  return named;
}

async function init(message: Extract<ToWorker, { type: 'init' }>) {
  const { name: backend, reason: backendReason } = await selectWorkerBackend(message.backend);
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
  const spec = await factory(message.options, {
    replica: message.replica,
    replicas: message.replicas,
    backend,
  });
  // The pool's micro-batch limit applies unless the replica module sets its own.
  const step = new TrainingStep({ ...spec, microBatch: spec.microBatch ?? message.microBatch });
  let offset = 0;
  const layout = spec.variables.map((v) => {
    const entry = { name: v.name, shape: v.shape, offset, size: v.size };
    offset += v.size;
    return entry;
  });
  replica = { spec, step, layout, index: message.replica, replicas: message.replicas };
  send({ type: 'ready', layout, backend, backendReason });
}

async function handle(message: ToWorker) {
  switch (message.type) {
    case 'init':
      return init(message);
    case 'share': {
      total = message.total;
      shared = new Float32Array(message.buffer);
      const weights = region(replica.replicas);
      if (message.source) writeVariables(weights);
      else {
        for (const [i, v] of replica.step.variables.entries()) {
          const entry = replica.layout[i] as VariableLayout;
          v.assign(tensor(weights.slice(entry.offset, entry.offset + entry.size), entry.shape, 'float32'));
        }
      }
      return send({ type: 'shared' });
    }
    case 'step': {
      const start = performance.now();
      const target = region(replica.index);
      if (message.batch === null) {
        target.fill(0);
        return send({ type: 'grads', loss: 0, finite: true, ms: 0 });
      }
      const { grads, loss, finite } = await replica.step.gradients(message.batch);
      for (const entry of replica.layout) {
        const grad = grads[entry.name];
        const values = target.subarray(entry.offset, entry.offset + entry.size);
        if (grad === undefined) values.fill(0);
        else values.set(grad.dataSync() as Float32Array);
      }
      dispose(Object.values(grads));
      return send({ type: 'grads', loss, finite, ms: performance.now() - start });
    }
    case 'apply': {
      // Every replica averages the same shards in the same order, so all of them take bit-identical steps.
      const shards = message.shares.map((weight, r) => ({ weight, grads: weight > 0 ? gradientsOf(r) : {} }));
      try {
        return send({ type: 'applied', stepped: replica.step.apply(shards, message.finite) });
      } finally {
        for (const shard of shards) dispose(Object.values(shard.grads));
      }
    }
    case 'export':
      writeVariables(region(replica.replicas));
      return send({ type: 'exported' });
    case 'get-state': {
      if (typeof replica.spec.getState !== 'function')
        throw new Error('the replica module defines no getState()');
      return send({ type: 'state', state: await replica.spec.getState() });
    }
    case 'set-state': {
      if (typeof replica.spec.setState !== 'function')
        throw new Error('the replica module defines no setState()');
      await replica.spec.setState(message.state);
      return send({ type: 'state-set' });
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
