import { AddN, type KernelBackend, type TensorInfo } from '@tensorflow/tfjs-core';
import { type WrappingKernelFunc, wrappingStock } from './kernel-registry.js';
import { withKernelScope } from './wasm-kernel-scope.js';

/**
 * AddN over any number of tensors. tfjs' webgpu kernel binds every input as a storage buffer of one shader,
 * and a device allows only `maxStorageBuffersPerShaderStage` of them (8 by default): the global norm of a
 * ResNet's gradients (one term per weight) fails pipeline validation. Sums groups that fit, then the sums.
 */
const addN: WrappingKernelFunc = (args, stock) => {
  const inputs = args.inputs as unknown as TensorInfo[];
  // The webgpu backend (tfjs-backend-webgpu's class is not imported here): a KernelBackend with its device.
  const backend = args.backend as KernelBackend & {
    device: { limits: { maxStorageBuffersPerShaderStage: number } };
  };
  const fit = backend.device.limits.maxStorageBuffersPerShaderStage - 1;
  if (inputs.length <= fit) return stock().kernelFunc(args);
  return withKernelScope(backend, 'webgpu', (scope) => {
    const sums: TensorInfo[] = [];
    for (let i = 0; i < inputs.length; i += fit) {
      const group = inputs.slice(i, i + fit);
      sums.push(group.length === 1 ? (group[0] as TensorInfo) : scope.run(AddN, group));
    }
    return scope.run(AddN, sums);
  });
};

export const addNWebGPUConfig = wrappingStock(AddN, 'webgpu', addN);
