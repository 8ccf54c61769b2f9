import { getBackend, ready, setBackend } from '@tensorflow/tfjs-core';
import { formatAdapter, type GpuAdapterReport } from './gpu-adapter.js';
import { guardWasmMemory } from './memory-guard.js';
import { ensureNavigatorGpu, NoWebGPUError } from './navigator-gpu.js';
import { registerWasmTrainingKernels } from './register-wasm-training-kernels.js';
import { registerWebGPUTrainingKernels } from './register-webgpu-training-kernels.js';
import { parseWasmFmaEnv, type WasmFmaSetting, type WasmGemmChoice, wasmGemmChoice } from './wasm-gemm.js';
import { registerWebGPUBackend, requestAdapter } from './webgpu-backend.js';
import type { WebGPUMemoryGuardOptions } from './webgpu-memory-guard.js';

export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'webgl' | 'cpu';

/** Every backend `selectBackend` knows. */
export const BACKEND_NAMES: readonly BackendName[] = [
  'tensorflow-gpu',
  'webgpu',
  'tensorflow',
  'wasm',
  'webgl',
  'cpu',
];

/** Candidates in the order `selectBackend` tries them in Node when nothing is requested. */
export const BACKEND_ORDER: readonly BackendName[] = [
  'tensorflow-gpu',
  'webgpu',
  'tensorflow',
  'wasm',
  'cpu',
];

/** The same in a browser, where the node backends do not exist and WebGL does. */
export const BROWSER_BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface SelectBackendOptions {
  /**
   * Use this backend and nothing else ('auto' or undefined: try them all in order). Takes precedence
   * over the environment variable. A forced 'webgpu' accepts a software adapter, which 'auto' skips.
   */
  prefer?: BackendName | 'auto';
  /** Where BOT_BACKEND is read from; defaults to `process.env` (absent in browsers). */
  env?: Record<string, string | undefined>;
  /** Called once with a one-line summary of the choice (e.g. `console.log`). */
  log?: (message: string) => void;
  /**
   * Loads a module by name; defaults to a dynamic `import()`. Exposed so that tests and bundlers
   * can supply their own.
   */
  importModule?: (specifier: string) => Promise<unknown>;
  /** Limits for the webgpu backend's memory guard. */
  webgpuMemory?: WebGPUMemoryGuardOptions;
  /**
   * The GEMM under the wasm convolutions: `'auto'` (the default) or `true`, this package's relaxed-SIMD FMA
   * microkernels where the runtime validates them (on Node 20 the flag is set with `v8.setFlagsFromString`),
   * else the same microkernels without FMA; `'simd'`, those without FMA; `false`, XNNPACK. Takes precedence
   * over the environment variable BOT_WASM_FMA (auto, 1, 0 or simd).
   */
  wasmFma?: WasmFmaSetting;
}

export interface BackendChoice {
  name: BackendName;
  /** Why this one was taken. */
  reason: string;
  /** The candidates tried before it, with why each could not be used. */
  skipped: { name: BackendName; why: string }[];
  /** The WebGPU adapter, when the choice is webgpu. */
  adapter?: GpuAdapterReport;
  /** The GEMM path of the wasm kernels, when the choice is wasm. */
  wasmGemm?: WasmGemmChoice;
}

const MODULES: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  webgl: '@tensorflow/tfjs-backend-webgl',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** The name the backend registers itself under in tfjs (both node packages register 'tensorflow'). */
const TFJS_NAMES: Record<BackendName, string> = {
  'tensorflow-gpu': 'tensorflow',
  webgpu: 'webgpu',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  webgl: 'webgl',
  cpu: 'cpu',
};

const REASONS: Record<BackendName, string> = {
  'tensorflow-gpu':
    'libtensorflow with CUDA: the fastest where a GPU and @tensorflow/tfjs-node-gpu are installed',
  webgpu: 'WebGPU compute shaders on the GPU',
  tensorflow: 'native libtensorflow on the CPU (all cores, oneDNN)',
  wasm: 'WebAssembly SIMD: XNNPACK with @bot/backend training kernels; one core per instance',
  webgl: 'WebGL2 fragment shaders on the GPU',
  cpu: 'pure JavaScript reference backend (about 1 GFLOP/s): small tensors only',
};

function describeError(error: unknown): string {
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'not installed';
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

const INSTALL_HINTS: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': 'npm i @tensorflow/tfjs-node-gpu@4.22.0 (its install downloads libtensorflow with CUDA)',
  tensorflow: 'npm i @tensorflow/tfjs-node@4.22.0 (its install downloads libtensorflow)',
};

function parseRequest(value: string, source: string): BackendName | 'auto' {
  const normalised = value.trim().toLowerCase();
  if (normalised === '' || normalised === 'auto') return 'auto';
  if ((BACKEND_NAMES as readonly string[]).includes(normalised)) return normalised as BackendName;
  throw new RangeError(`${source} must be one of auto, ${BACKEND_NAMES.join(', ')}; got '${value}'`);
}

const isNode = () =>
  (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined;

interface Attempt {
  /** Why the backend cannot be used; undefined when it is now active. */
  why?: string;
  adapter?: GpuAdapterReport;
}

/**
 * Readies WebGPU: navigator.gpu (Dawn in Node), the adapter, then tfjs' backend on that adapter. A software
 * adapter is refused unless the backend was asked for by name.
 */
async function tryWebGPU(
  importModule: (specifier: string) => Promise<unknown>,
  forced: boolean,
  memory: WebGPUMemoryGuardOptions | undefined,
): Promise<Attempt> {
  let found: Awaited<ReturnType<typeof requestAdapter>>;
  try {
    found = await requestAdapter(await ensureNavigatorGpu(importModule));
  } catch (error) {
    return { why: error instanceof NoWebGPUError ? error.message : describeError(error) };
  }
  if (found === null) {
    return {
      why: 'no WebGPU adapter (no usable GPU driver for Vulkan, Metal or D3D12; on Linux the loader is libvulkan1)',
    };
  }
  const { adapter, report } = found;
  if (report.software && !forced) {
    return {
      why: `software adapter ${formatAdapter(report)}: slower than wasm on the CPU; force it with BOT_BACKEND=webgpu`,
      adapter: report,
    };
  }
  const module = (await importModule(MODULES.webgpu)) as {
    WebGPUBackend: Parameters<typeof registerWebGPUBackend>[2];
  };
  registerWebGPUBackend(adapter, report, module.WebGPUBackend, memory);
  registerWebGPUTrainingKernels();
  return { adapter: report };
}

async function tryBackend(
  name: BackendName,
  importModule: (specifier: string) => Promise<unknown>,
  options: { forced: boolean; memory: WebGPUMemoryGuardOptions | undefined; fma: WasmFmaSetting | undefined },
): Promise<Attempt> {
  let attempt: Attempt = {};
  if (name === 'webgpu') {
    attempt = await tryWebGPU(importModule, options.forced, options.memory);
    if (attempt.why !== undefined) return attempt;
  } else {
    try {
      await importModule(MODULES[name]);
    } catch (error) {
      const why = describeError(error);
      const hint = INSTALL_HINTS[name];
      return {
        why: hint === undefined || why !== 'not installed' ? why : `not installed; install with ${hint}`,
      };
    }
  }
  if (name === 'wasm') registerWasmTrainingKernels(options.fma === undefined ? {} : { fma: options.fma });
  try {
    const ok = await setBackend(TFJS_NAMES[name]);
    if (!ok) return { ...attempt, why: `tf.setBackend('${TFJS_NAMES[name]}') failed to initialise` };
    await ready();
  } catch (error) {
    return { ...attempt, why: describeError(error) };
  }
  if (name === 'wasm') guardWasmMemory();
  if (name === 'tensorflow-gpu' && !hasCudaDevice()) {
    return { why: 'the module loaded but no CUDA device is visible' };
  }
  return attempt;
}

function hasCudaDevice(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.CUDA_VISIBLE_DEVICES !== '' && env?.CUDA_VISIBLE_DEVICES !== '-1';
}

/**
 * Picks and activates the fastest available TensorFlow.js backend. In Node: tfjs-node-gpu, then WebGPU on
 * a hardware adapter (Dawn, from the optional package `webgpu`), then tfjs-node, then wasm with this
 * package's training kernels, then cpu. In a browser: WebGPU, WebGL, wasm, cpu. `prefer`, or else the
 * environment variable BOT_BACKEND, asks for one backend (or 'auto'); a requested backend that cannot be
 * used is an error, not a silent fallback.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const env =
    options.env ??
    (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ??
    {};
  const importModule = options.importModule ?? ((specifier: string) => import(specifier));
  let request: BackendName | 'auto' = 'auto';
  let source = 'auto';
  if (options.prefer !== undefined) {
    request = parseRequest(options.prefer, 'options.prefer');
    source = `options.prefer='${options.prefer}'`;
  }
  if (request === 'auto' && options.prefer === undefined && env.BOT_BACKEND !== undefined) {
    request = parseRequest(env.BOT_BACKEND, 'BOT_BACKEND');
    source = `BOT_BACKEND=${env.BOT_BACKEND}`;
  }

  const fma = options.wasmFma ?? parseWasmFmaEnv(env.BOT_WASM_FMA);

  const candidates = request === 'auto' ? (isNode() ? BACKEND_ORDER : BROWSER_BACKEND_ORDER) : [request];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of candidates) {
    const attempt = await tryBackend(name, importModule, {
      forced: request !== 'auto',
      memory: options.webgpuMemory,
      fma,
    });
    if (attempt.why === undefined) {
      let base = attempt.adapter ? `${REASONS[name]}: ${formatAdapter(attempt.adapter)}` : REASONS[name];
      const gemm = name === 'wasm' ? wasmGemmChoice() : undefined;
      if (gemm !== undefined) base = `${base}; ${gemm.reason}`;
      const reason = request === 'auto' ? base : `requested by ${source}: ${base}`;
      const choice: BackendChoice = {
        name,
        reason,
        skipped,
        ...(attempt.adapter ? { adapter: attempt.adapter } : {}),
        ...(gemm ? { wasmGemm: gemm } : {}),
      };
      options.log?.(formatChoice(choice));
      return choice;
    }
    skipped.push({ name, why: attempt.why });
  }
  const details = skipped.map((s) => `${s.name}: ${s.why}`).join('; ');
  throw new Error(
    request === 'auto'
      ? `no TensorFlow.js backend could be initialised (${details})`
      : `backend '${request}' requested by ${source} cannot be used: ${details}`,
  );
}

/** One line: "backend wasm (why); skipped tensorflow-gpu (why), tensorflow (why)". */
export function formatChoice(choice: BackendChoice): string {
  const skipped = choice.skipped.map((s) => `${s.name} (${s.why})`).join(', ');
  return `backend ${choice.name} [tfjs '${getBackend()}']: ${choice.reason}${skipped === '' ? '' : `; skipped ${skipped}`}`;
}
