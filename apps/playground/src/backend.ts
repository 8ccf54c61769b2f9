import { selectBackend } from '@bot/backend';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { engine } from '@tensorflow/tfjs-core';

export type PlaygroundBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface BackendChoice {
  name: PlaygroundBackend;
  /** What was tried before it and why it was passed over. */
  skipped: string[];
  /** Why it was taken, with the GPU adapter where there is one. */
  detail: string;
}

/**
 * The backend modules @bot/backend's selectBackend may ask for, as dynamic imports the bundler can see (each
 * becomes a chunk loaded on demand); the wasm one is told where Vite put its .wasm files.
 */
const MODULES: Record<string, () => Promise<unknown>> = {
  '@tensorflow/tfjs-backend-webgpu': () => import('@tensorflow/tfjs-backend-webgpu'),
  '@tensorflow/tfjs-backend-webgl': () => import('@tensorflow/tfjs-backend-webgl'),
  '@tensorflow/tfjs-backend-cpu': () => import('@tensorflow/tfjs-backend-cpu'),
  '@tensorflow/tfjs-backend-wasm': async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    });
    return wasm;
  },
};

function importModule(specifier: string): Promise<unknown> {
  const load = MODULES[specifier];
  if (load) return load();
  return Promise.reject(
    Object.assign(new Error(`${specifier} is not part of the playground's bundle`), {
      code: 'ERR_MODULE_NOT_FOUND',
    }),
  );
}

/**
 * Activates a backend with @bot/backend's selectBackend: 'auto' tries webgpu (a hardware adapter), webgl,
 * wasm with @bot/backend's training kernels, then cpu; a named one is used or is an error (a named webgpu
 * also takes a software adapter such as SwiftShader).
 */
export async function chooseBackend(request: PlaygroundBackend | 'auto'): Promise<BackendChoice> {
  const choice = await selectBackend({ prefer: request, importModule, env: {} });
  return {
    name: choice.name as PlaygroundBackend,
    skipped: choice.skipped.map((s) => `${s.name}: ${s.why}`),
    detail: choice.reason,
  };
}

/** Bytes tfjs holds on the device (or in the heap), for the status line. */
export function memoryBytes(): number {
  return engine().memory().numBytes;
}
