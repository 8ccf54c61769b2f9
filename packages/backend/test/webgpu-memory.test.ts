import { NesterovSGD } from '@bot/optim';
import { resnet } from '@bot/resnet-variants';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { describeAdapter } from '../src/gpu-adapter.js';
import { guardWebGPUMemory, WebGPUOutOfMemoryError, WebGPUSyncReadError } from '../src/index.js';
import { setUpWebGPU } from './webgpu-setup.js';

const why = await setUpWebGPU();

describe.skipIf(why !== null)('webgpu memory', () => {
  it('stays flat over 100 training steps (tensors, bytes and GPU buffers)', async () => {
    await tf.setBackend('webgpu');
    const model = resnet({
      depth: 18,
      variant: 'D',
      numClasses: 3,
      inputSize: 16,
      stem: 'cifar',
      width: 1 / 16,
      seed: 2,
    });
    const optimizer = new NesterovSGD({
      learningRate: 0.01,
      momentum: 0.9,
      nesterov: true,
      weightDecay: 1e-4,
    });
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const step = async () => {
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        variables,
      );
      optimizer.applyGradients(grads);
      const loss = (await value.data())[0] as number;
      tf.dispose([value, ...Object.values(grads)]);
      return loss;
    };
    const backend = tf.backend() as unknown as { bufferManager: { numBytesAllocated: number } };
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) losses.push(await step());
    const before = { ...tf.memory(), allocated: backend.bufferManager.numBytesAllocated };
    for (let i = 0; i < 95; i++) losses.push(await step());
    const after = { ...tf.memory(), allocated: backend.bufferManager.numBytesAllocated };
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(after.allocated).toBe(before.allocated);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)).toBeLessThan(losses[0] as number);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
    // 100 steps on SwiftShader (a CPU emulating the GPU) ran past 300 s with both cores busy: headroom, so a
    // busy machine does not fail the test.
  }, 900_000);

  it('refuses a tensor larger than the adapter can bind with an error naming the size and the advice', async () => {
    await tf.setBackend('webgpu');
    const limit = describeAdapter(
      (tf.backend() as unknown as { device: { adapterInfo?: object; limits: never } }).device as never,
    ).maxStorageBufferBindingSize;
    const elements = Math.floor(limit / 4) + 1024;
    expect(() => tf.tidy(() => tf.fill([elements], 1).add(1).dataSync())).toThrow(WebGPUOutOfMemoryError);
    expect(() => tf.tidy(() => tf.fill([elements], 1).add(1).dataSync())).toThrow(
      /could not allocate 1\.\d+ GiB for one tensor: the adapter .* binds at most 1\.00 GiB per buffer; use a smaller batch, or keep the batch and split it into micro-batches with gradient accumulation/,
    );
    // The backend still works afterwards.
    const ok = tf.tensor1d([1, 2]).add(1);
    expect(Array.from(await ok.data())).toEqual([2, 3]);
    ok.dispose();
  }, 60_000);

  it('explains that synchronous reads are impossible on WebGPU in Node', async () => {
    await tf.setBackend('webgpu');
    // Larger than tfjs' CPU hand-off threshold (128 elements), so the add runs on the GPU.
    const t = tf.ones([1024]).add(1);
    expect(() => t.dataSync()).toThrow(WebGPUSyncReadError);
    expect(() => t.dataSync()).toThrow(/use await tensor.data\(\)/);
    t.dispose();
  });
});

describe('the webgpu memory guard (on a stand-in backend)', () => {
  function fakeBackend() {
    const listeners: ((event: { error: { message: string } }) => void)[] = [];
    let lose: (info: { reason: string; message: string }) => void = () => undefined;
    const manager = {
      numBytesAllocated: 0,
      numBytesUsed: 0,
      acquireBuffer(size: number, _usage?: number) {
        this.numBytesUsed += size;
        this.numBytesAllocated += size;
        return { size };
      },
    };
    return {
      backend: {
        device: {
          addEventListener: (_: string, listener: (typeof listeners)[number]) => listeners.push(listener),
          lost: new Promise<{ reason: string; message: string }>((resolve) => {
            lose = resolve;
          }),
        },
        bufferManager: manager,
        read: async (_dataId: object) => new Float32Array(1),
      },
      emit: (message: string) => {
        for (const l of listeners) l({ error: { message } });
      },
      lose: (message: string) => lose({ reason: 'destroyed', message }),
    };
  }
  const adapter = describeAdapter({
    info: { vendor: 'nvidia', architecture: 'hopper' },
    limits: { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31 },
  });

  it('holds the budget: the allocation that would pass it throws, with the memory in use', () => {
    const { backend } = fakeBackend();
    guardWebGPUMemory(backend, adapter, { budgetBytes: 2 ** 30 });
    backend.bufferManager.acquireBuffer(2 ** 29, 0);
    expect(() => backend.bufferManager.acquireBuffer(2 ** 29 + 4, 0)).toThrow(
      /could not allocate 0\.50 GiB: 0\.50 GiB of its 1\.00 GiB budget are in use; use a smaller batch/,
    );
  });

  it('turns a device out-of-memory error and a lost device into errors at the next allocation or read', async () => {
    const oom = fakeBackend();
    guardWebGPUMemory(oom.backend, adapter);
    oom.emit('Out of memory: failed to allocate buffer');
    expect(() => oom.backend.bufferManager.acquireBuffer(4, 0)).toThrow(WebGPUOutOfMemoryError);
    await expect(oom.backend.read({})).rejects.toThrow(/the GPU ran out of memory/);
    const lost = fakeBackend();
    guardWebGPUMemory(lost.backend, adapter);
    lost.lose('device destroyed');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(() => lost.backend.bufferManager.acquireBuffer(4, 0)).toThrow(
      /the WebGPU device was lost \(destroyed: device destroyed\)/,
    );
  });
});
