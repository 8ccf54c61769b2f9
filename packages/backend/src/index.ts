export { conv2DBackpropFilterWasm } from './conv2d-backprop-filter.js';
export { conv2DBackpropInputWasm } from './conv2d-backprop-input.js';
export {
  guardWasmMemory,
  WASM_HEAP_LIMIT_BYTES,
  WasmOutOfMemoryError,
  wasmHeapBytes,
} from './memory-guard.js';
export {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  wasmTrainingKernels,
} from './register-wasm-training-kernels.js';
export {
  BACKEND_ORDER,
  type BackendChoice,
  type BackendName,
  formatChoice,
  type SelectBackendOptions,
  selectBackend,
} from './select-backend.js';
export { KernelScope } from './wasm-kernel-scope.js';
