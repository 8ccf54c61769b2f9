import { getBackend, ready, setBackend } from '@tensorflow/tfjs-core';
import { guardWasmMemory } from './memory-guard.js';
import { registerWasmTrainingKernels } from './register-wasm-training-kernels.js';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** Candidates in the order `selectBackend` tries them when nothing is requested. */
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface SelectBackendOptions {
  /**
   * Use this backend and nothing else ('auto' or undefined: try them all in order). Takes precedence
   * over the environment variable.
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
}

export interface BackendChoice {
  name: BackendName;
  /** Why this one was taken. */
  reason: string;
  /** The candidates tried before it, with why each could not be used. */
  skipped: { name: BackendName; why: string }[];
}

const MODULES: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** The name the backend registers itself under in tfjs (both node packages register 'tensorflow'). */
const TFJS_NAMES: Record<BackendName, string> = {
  'tensorflow-gpu': 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

const REASONS: Record<BackendName, string> = {
  'tensorflow-gpu':
    'libtensorflow with CUDA: the fastest where a GPU and @tensorflow/tfjs-node-gpu are installed',
  tensorflow: 'native libtensorflow on the CPU (all cores, oneDNN)',
  wasm: 'XNNPACK in WebAssembly (SIMD) with @bot/backend training kernels; one core per instance',
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
  if ((BACKEND_ORDER as readonly string[]).includes(normalised)) return normalised as BackendName;
  throw new RangeError(`${source} must be one of auto, ${BACKEND_ORDER.join(', ')}; got '${value}'`);
}

async function tryBackend(
  name: BackendName,
  importModule: (specifier: string) => Promise<unknown>,
): Promise<string | undefined> {
  try {
    await importModule(MODULES[name]);
  } catch (error) {
    const why = describeError(error);
    const hint = INSTALL_HINTS[name];
    return hint === undefined || why !== 'not installed' ? why : `not installed; install with ${hint}`;
  }
  if (name === 'wasm') registerWasmTrainingKernels();
  try {
    const ok = await setBackend(TFJS_NAMES[name]);
    if (!ok) return `tf.setBackend('${TFJS_NAMES[name]}') failed to initialise`;
    await ready();
  } catch (error) {
    return describeError(error);
  }
  if (name === 'wasm') guardWasmMemory();
  if (name === 'tensorflow-gpu' && !hasCudaDevice()) {
    return 'the module loaded but no CUDA device is visible';
  }
  return undefined;
}

function hasCudaDevice(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.CUDA_VISIBLE_DEVICES !== '' && env?.CUDA_VISIBLE_DEVICES !== '-1';
}

/**
 * Picks and activates the fastest available TensorFlow.js backend: tfjs-node-gpu, then tfjs-node,
 * then wasm with this package's training kernels, then cpu. `prefer`, or else the environment
 * variable BOT_BACKEND, asks for one backend (or 'auto'); a requested backend that cannot be used is
 * an error, not a silent fallback.
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

  const candidates = request === 'auto' ? BACKEND_ORDER : [request];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of candidates) {
    const why = await tryBackend(name, importModule);
    if (why === undefined) {
      const reason = request === 'auto' ? REASONS[name] : `requested by ${source}: ${REASONS[name]}`;
      const choice: BackendChoice = { name, reason, skipped };
      options.log?.(formatChoice(choice));
      return choice;
    }
    skipped.push({ name, why });
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
