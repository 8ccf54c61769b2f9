import {
  findBackend,
  getKernel,
  type KernelConfig,
  registerKernel,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { fusedBatchNormConfig } from './batch-norm-inference.js';
import {
  addConfig,
  multiplyConfig,
  realDivConfig,
  squaredDifferenceConfig,
  subConfig,
} from './channel-broadcast.js';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { conv2DForwardGemmConfig, fusedConv2DForwardGemmConfig } from './conv2d-forward-gemm.js';
import { castConfig, identityConfig } from './identity.js';
import { registerReplacing } from './kernel-registry.js';
import { meanConfig, sumConfig } from './leading-axes-reduce.js';
import { avgPoolGradConfig, maxPoolGradConfig } from './pool-gradients.js';
import { tileConfig } from './tile.js';
import { transposeConfig } from './transpose.js';
import { configureWasmGemm, onWasmGemmChange, type WasmFmaSetting, wasmGemmChoice } from './wasm-gemm.js';

/** The kernels this package registers on the wasm backend, replacing stock ones of the same name. */
export const wasmTrainingKernels: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  tileConfig,
  sumConfig,
  meanConfig,
  identityConfig,
  castConfig,
  multiplyConfig,
  addConfig,
  subConfig,
  realDivConfig,
  squaredDifferenceConfig,
  fusedBatchNormConfig,
  maxPoolGradConfig,
  avgPoolGradConfig,
  batchMatMulConfig,
  transposeConfig,
];

/**
 * Forward convolutions (`Conv2D`, `FusedConv2D`) on this package's GEMM microkernels: registered once the
 * GEMM path is the microkernels' (the default; see `configureWasmGemm`), so that with BOT_WASM_FMA=0 tfjs'
 * own kernels stay in place untouched; once registered they hand every case to the stock kernel while the
 * path is XNNPACK.
 */
export const wasmGemmForwardKernels: readonly KernelConfig[] = [
  conv2DForwardGemmConfig,
  fusedConv2DForwardGemmConfig,
];

const stockKernels = new Map<string, KernelConfig>();
let registered = false;

function registerForwardKernels(): string[] {
  if (!registered || wasmGemmChoice().path === 'xnnpack') return [];
  return registerReplacing(wasmGemmForwardKernels, stockKernels);
}
onWasmGemmChange(registerForwardKernels);

/**
 * Registers this package's training kernels on the 'wasm' backend (idempotent). Call it before or
 * after `tf.setBackend('wasm')`; the wasm backend itself must be imported
 * (`import '@tensorflow/tfjs-backend-wasm'`) by the caller or by `selectBackend()`.
 * Returns the names of the kernels registered.
 *
 * `fma` sets the GEMM under the convolutions, process-wide, as `configureWasmGemm` does: `'auto'` or
 * `true` the relaxed-SIMD FMA microkernels where the runtime validates them, else the same microkernels
 * without FMA; `'simd'` the microkernels without FMA; `false` XNNPACK. Omitted: left as it is (the
 * default, `'auto'`, unless configured before). While the microkernels are chosen, forward convolutions
 * run on them too (`wasmGemmForwardKernels`).
 */
export function registerWasmTrainingKernels(options: { fma?: WasmFmaSetting } = {}): string[] {
  const names = registerReplacing(wasmTrainingKernels, stockKernels);
  registered = true;
  const choice = options.fma === undefined ? wasmGemmChoice() : configureWasmGemm(options.fma);
  registerForwardKernels();
  const forward = choice.path === 'xnnpack' ? [] : wasmGemmForwardKernels.map((k) => k.kernelName);
  return [...names, ...forward.filter((name) => !names.includes(name))];
}

/**
 * Undoes `registerWasmTrainingKernels()`: removes this package's kernels and puts back the stock
 * ones they replaced (for comparisons and benchmarks).
 */
export function unregisterWasmTrainingKernels(): void {
  registered = false;
  for (const config of [...wasmTrainingKernels, ...wasmGemmForwardKernels]) {
    if (getKernel(config.kernelName, config.backendName) !== config) continue;
    unregisterKernel(config.kernelName, config.backendName);
    const stock = stockKernels.get(config.kernelName);
    if (stock === undefined) continue;
    registerKernel(stock);
    // A kernel registered after its backend initialised has not been set up (the wasm kernels bind
    // their C++ entry points in setupFunc).
    const backend = findBackend(config.backendName);
    if (backend !== null) stock.setupFunc?.(backend);
  }
}
