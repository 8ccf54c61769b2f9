import type { TensorInfo } from '@tensorflow/tfjs-core';
import { allocatePackedB, GEMM_KC as KC, GEMM_MC as MC } from './gemm-blocking.js';
import { gemmRelaxedWasm, gemmSimdWasm } from './gemm-kernels-wasm.js';
import { backendMemory, decodeBase64, heapAddress, instantiateOnMemory, wasmApi } from './simd-kernels.js';
import type { KernelScope, WasmBackendLike } from './wasm-kernel-scope.js';

/**
 * Which GEMM the wasm training kernels' matrix products (the convolution gradients' `scope.matMul`, the
 * forward convolutions routed to it) run on:
 * - `relaxed`: this package's 4x8 register-tiled microkernel with `f32x4.relaxed_madd` (a fused
 *   multiply-add where the CPU has one), from gemm-relaxed.wat: the default where relaxed SIMD validates;
 * - `simd`: the same microkernel with `f32x4.mul` + `f32x4.add` (gemm-simd.wat): the default where it
 *   does not, and the fair comparison for the FMA;
 * - `xnnpack`: tfjs' BatchMatMul and Conv2D (XNNPACK, plain SIMD128), the kernels before the microkernels.
 */
export type WasmGemmPath = 'xnnpack' | 'relaxed' | 'simd';

/**
 * What was asked for: `'auto'` (the default) or `true`: the FMA microkernel where the runtime has relaxed
 * SIMD, else the non-FMA one; `'simd'`: the non-FMA microkernel; `false`: XNNPACK.
 */
export type WasmFmaSetting = 'auto' | boolean | 'simd';

/** How relaxed SIMD stands in this runtime. */
export interface RelaxedSimdSupport {
  available: boolean;
  /**
   * `native`: the runtime validates relaxed SIMD as it is (Node 22+, current browsers, or Node 20 started
   * with `--experimental-wasm-relaxed-simd`); `v8-flag`: enabled here with
   * `v8.setFlagsFromString('--experimental-wasm-relaxed-simd')` (Node 20; V8's flags are per process, so
   * it reaches every worker thread); `unavailable`: neither.
   */
  how: 'native' | 'v8-flag' | 'unavailable';
  detail: string;
}

export interface WasmGemmChoice {
  path: WasmGemmPath;
  setting: WasmFmaSetting;
  relaxedSimd?: RelaxedSimdSupport;
  /** One line for logs and `selectBackend`'s reason. */
  reason: string;
}

export const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

/**
 * Validates the relaxed-SIMD GEMM module; where that fails in Node and `enableFlag` is set, sets V8's
 * `--experimental-wasm-relaxed-simd` (measured on Node 20.20: effective after other modules have been
 * compiled, and in worker threads started before or after) and validates again. `validate` replaces
 * `WebAssembly.validate` (tests simulate a runtime without relaxed SIMD with it).
 */
export function detectRelaxedSimd(
  options: { enableFlag?: boolean; validate?: (bytes: Uint8Array) => boolean } = {},
): RelaxedSimdSupport {
  const validate = options.validate ?? ((bytes: Uint8Array) => wasmApi?.validate(bytes) === true);
  const bytes = decodeBase64(gemmRelaxedWasm);
  if (validate(bytes)) {
    return { available: true, how: 'native', detail: 'the runtime validates relaxed SIMD' };
  }
  const proc = (
    globalThis as {
      process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown };
    }
  ).process;
  if (options.enableFlag !== false && proc?.versions?.node !== undefined) {
    const v8 = proc.getBuiltinModule?.('node:v8') as
      | { setFlagsFromString?: (flag: string) => void }
      | undefined;
    if (v8?.setFlagsFromString !== undefined) {
      v8.setFlagsFromString(RELAXED_SIMD_FLAG);
      if (validate(bytes)) {
        return {
          available: true,
          how: 'v8-flag',
          detail: `enabled with v8.setFlagsFromString('${RELAXED_SIMD_FLAG}') (Node ${proc.versions.node})`,
        };
      }
    }
  }
  let detail = 'this runtime does not validate relaxed SIMD';
  if (proc?.versions?.node !== undefined) {
    detail =
      options.enableFlag === false
        ? `Node ${proc.versions.node} does not validate relaxed SIMD without ${RELAXED_SIMD_FLAG}`
        : proc.getBuiltinModule === undefined
          ? `Node ${proc.versions.node} does not validate relaxed SIMD and has no process.getBuiltinModule to set ${RELAXED_SIMD_FLAG} at run time: start node with it`
          : `Node ${proc.versions.node} does not validate relaxed SIMD, even with ${RELAXED_SIMD_FLAG}`;
  }
  return { available: false, how: 'unavailable', detail };
}

/** Unset until the first `configureWasmGemm`, or until `wasmGemmChoice()` resolves the default. */
let current: WasmGemmChoice | undefined;

const listeners = new Set<(choice: WasmGemmChoice) => void>();

/** Calls `listener` after every `configureWasmGemm` (the registration of the forward kernels listens). */
export function onWasmGemmChange(listener: (choice: WasmGemmChoice) => void): void {
  listeners.add(listener);
}

/** The GEMM path in effect: the one `configureWasmGemm` chose, or else the default (`'auto'`), chosen now. */
export function wasmGemmChoice(): WasmGemmChoice {
  return current ?? configureWasmGemm('auto');
}

const MICROKERNELS = 'GEMMs on @bot/backend 4x8 SIMD microkernels';

/**
 * Chooses the GEMM of the wasm training kernels, process-wide. `'auto'` (the default) and `true` take the
 * FMA microkernels where relaxed SIMD validates (enabling V8's flag on Node 20) and otherwise the same
 * microkernels without FMA, saying which in the reason; `'simd'` takes the non-FMA microkernels; `false`
 * puts XNNPACK back (the numerics of the builds before the microkernels).
 */
export function configureWasmGemm(
  setting: WasmFmaSetting,
  options: { validate?: (bytes: Uint8Array) => boolean } = {},
): WasmGemmChoice {
  if (setting !== 'auto' && setting !== true && setting !== false && setting !== 'simd') {
    throw new RangeError(`fma must be 'auto', true, false or 'simd'; got ${JSON.stringify(setting)}`);
  }
  let choice: WasmGemmChoice;
  if (setting === false) {
    choice = { path: 'xnnpack', setting, reason: 'convolution GEMMs on XNNPACK (BOT_WASM_FMA=0)' };
  } else if (setting === 'simd') {
    choice = {
      path: 'simd',
      setting,
      reason: `convolution ${MICROKERNELS} (f32x4.mul + f32x4.add, no FMA; BOT_WASM_FMA=simd)`,
    };
  } else {
    const relaxedSimd = detectRelaxedSimd(options);
    choice = relaxedSimd.available
      ? {
          path: 'relaxed',
          setting,
          relaxedSimd,
          reason: `convolution ${MICROKERNELS} with FMA (f32x4.relaxed_madd; relaxed SIMD ${relaxedSimd.how === 'native' ? 'native' : relaxedSimd.detail})`,
        }
      : {
          path: 'simd',
          setting,
          relaxedSimd,
          reason: `convolution ${MICROKERNELS} without FMA (f32x4.mul + f32x4.add): ${relaxedSimd.detail}`,
        };
  }
  current = choice;
  for (const listener of listeners) listener(choice);
  return choice;
}

/**
 * `BOT_WASM_FMA`: '', 'auto', '1', 'true', 'on' -> 'auto'; '0', 'false', 'off' -> false; 'simd' -> 'simd'.
 * Returns undefined when the variable is unset.
 */
export function parseWasmFmaEnv(value: string | undefined): WasmFmaSetting | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'auto' || v === '1' || v === 'true' || v === 'on') return 'auto';
  if (v === '0' || v === 'false' || v === 'off') return false;
  if (v === 'simd') return 'simd';
  throw new RangeError(`BOT_WASM_FMA must be one of auto, 1, 0, true, false, on, off, simd; got '${value}'`);
}

interface GemmExports {
  packB(b: number, ldb: number, kc: number, n: number, dst: number): void;
  gemm(
    a: number,
    lda: number,
    packedB: number,
    kc: number,
    c: number,
    ldc: number,
    m: number,
    n: number,
    accumulate: number,
    tmp: number,
  ): void;
}

const instances = new WeakMap<object, Partial<Record<'relaxed' | 'simd', GemmExports>>>();

/** The microkernels of one flavour bound to this backend's memory; throws where they cannot run. */
export function gemmKernels(backend: WasmBackendLike, flavour: 'relaxed' | 'simd'): GemmExports {
  const memory = backendMemory(backend);
  if (memory === undefined) {
    throw new Error(
      'the GEMM microkernels need the wasm backend memory (module.asm.memory), which this build does not expose',
    );
  }
  let bound = instances.get(memory);
  if (bound === undefined) {
    bound = {};
    instances.set(memory, bound);
  }
  let kernels = bound[flavour];
  if (kernels === undefined) {
    kernels = instantiateOnMemory(
      flavour === 'relaxed' ? gemmRelaxedWasm : gemmSimdWasm,
      memory,
    ) as GemmExports;
    bound[flavour] = kernels;
  }
  return kernels;
}

/**
 * C [m, n] = A [m, k] x B [k, n] (float32, row-major, on the wasm heap) with the microkernels of `flavour`:
 * B is packed KC rows at a time into 8-column panels, A is read in place, C accumulates over the KC blocks.
 */
export function gemmOnHeap(
  scope: KernelScope<WasmBackendLike>,
  a: TensorInfo,
  b: TensorInfo,
  flavour: 'relaxed' | 'simd',
): TensorInfo {
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0]) {
    throw new Error(`gemm needs [m, k] x [k, n], got [${a.shape}] x [${b.shape}]`);
  }
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1] as number;
  const { backend } = scope;
  const out = scope.adopt(backend.makeOutput([m, n], 'float32'));
  if (m * n === 0) return out;
  if (k === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  const kernels = gemmKernels(backend, flavour);
  const kc = Math.min(k, KC);
  const panels = Math.ceil(n / 8) * 8 * kc;
  const packed = allocatePackedB(scope, panels);
  // Addresses after every allocation (byte offsets stay valid when the heap grows; views would not).
  const aAt = heapAddress(backend, a);
  const bAt = heapAddress(backend, b);
  const cAt = heapAddress(backend, out);
  const packedAt = heapAddress(backend, packed);
  const tmpAt = packedAt + panels * 4;
  for (let p = 0; p < k; p += KC) {
    const depth = Math.min(KC, k - p);
    kernels.packB(bAt + p * n * 4, n * 4, depth, n, packedAt);
    for (let i = 0; i < m; i += MC) {
      const rows = Math.min(MC, m - i);
      kernels.gemm(
        aAt + (i * k + p) * 4,
        k * 4,
        packedAt,
        depth,
        cAt + i * n * 4,
        n * 4,
        rows,
        n,
        p > 0 ? 1 : 0,
        tmpAt,
      );
    }
  }
  return out;
}
