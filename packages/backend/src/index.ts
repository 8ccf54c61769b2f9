export { conv2DBackpropFilterWasm } from './conv2d-backprop-filter.js';
export { conv2DBackpropInputWasm } from './conv2d-backprop-input.js';
export { describeAdapter, formatAdapter, type GpuAdapterReport } from './gpu-adapter.js';
export {
  guardWasmMemory,
  WASM_HEAP_LIMIT_BYTES,
  WasmOutOfMemoryError,
  wasmHeapBytes,
} from './memory-guard.js';
export { ensureNavigatorGpu, NoWebGPUError } from './navigator-gpu.js';
export {
  registerWasmTrainingKernels,
  unregisterWasmTrainingKernels,
  wasmGemmForwardKernels,
  wasmTrainingKernels,
} from './register-wasm-training-kernels.js';
export {
  registerWebGPUTrainingKernels,
  webgpuTrainingKernels,
} from './register-webgpu-training-kernels.js';
export {
  BACKEND_NAMES,
  BACKEND_ORDER,
  type BackendChoice,
  type BackendName,
  BROWSER_BACKEND_ORDER,
  formatChoice,
  type SelectBackendOptions,
  selectBackend,
} from './select-backend.js';
export {
  configureWasmGemm,
  detectRelaxedSimd,
  parseWasmFmaEnv,
  RELAXED_SIMD_FLAG,
  type RelaxedSimdSupport,
  type WasmFmaSetting,
  type WasmGemmChoice,
  type WasmGemmPath,
  wasmGemmChoice,
} from './wasm-gemm.js';
export { KernelScope } from './wasm-kernel-scope.js';
export { WebGPUSyncReadError } from './webgpu-backend.js';
export { WEBGPU_CONV2D_DW_TILED } from './webgpu-conv2d-backprop-filter.js';
export {
  guardWebGPUMemory,
  WebGPUDeviceError,
  type WebGPUMemoryGuardOptions,
  WebGPUOutOfMemoryError,
} from './webgpu-memory-guard.js';
export { ROUND_TO_FLOAT16, roundToFloat16WebGPUConfig } from './webgpu-round-float16.js';
