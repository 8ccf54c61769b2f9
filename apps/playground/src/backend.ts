import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { engine, getBackend, ready, setBackend } from '@tensorflow/tfjs-core';

export type PlaygroundBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** The order 'auto' tries: WebGPU, then WebGL, then wasm with @bot/backend's training kernels, then cpu. */
export const ORDER: readonly PlaygroundBackend[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendChoice {
  name: PlaygroundBackend;
  /** What was tried before it and why it was passed over. */
  skipped: string[];
  /** A one-line description for the page, e.g. the GPU adapter. */
  detail: string;
}

interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}
interface GpuAdapter {
  info?: GpuAdapterInfo;
  isFallbackAdapter?: boolean;
  limits?: { maxStorageBufferBindingSize?: number };
}
interface Gpu {
  requestAdapter(options?: object): Promise<GpuAdapter | null>;
}

async function load(name: PlaygroundBackend): Promise<string> {
  if (name === 'webgpu') {
    const gpu = (navigator as unknown as { gpu?: Gpu }).gpu;
    if (!gpu) throw new Error('navigator.gpu is absent (no WebGPU in this browser)');
    const adapter = (await gpu.requestAdapter()) as GpuAdapter | null;
    if (!adapter) throw new Error('navigator.gpu.requestAdapter() gave no adapter');
    await import('@tensorflow/tfjs-backend-webgpu');
    const info = adapter.info ?? {};
    const words = [info.vendor, info.architecture, info.device, info.description].filter((w) => w);
    const mib = (adapter.limits?.maxStorageBufferBindingSize ?? 0) / 2 ** 20;
    return `adapter ${words.join(' ') || 'unnamed'}${adapter.isFallbackAdapter ? ' (software fallback)' : ''}, storage buffers up to ${mib} MiB`;
  }
  if (name === 'webgl') {
    await import('@tensorflow/tfjs-backend-webgl');
    return 'WebGL2 fragment shaders';
  }
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    });
    const { registerWasmTrainingKernels } = await import('@bot/backend');
    const kernels = registerWasmTrainingKernels();
    return `XNNPACK with ${kernels.length} @bot/backend training kernels`;
  }
  await import('@tensorflow/tfjs-backend-cpu');
  return 'plain JavaScript';
}

/** Activates the backend asked for, or with 'auto' the first of ORDER that initialises. */
export async function chooseBackend(request: PlaygroundBackend | 'auto'): Promise<BackendChoice> {
  const candidates = request === 'auto' ? ORDER : [request];
  const skipped: string[] = [];
  for (const name of candidates) {
    try {
      const detail = await load(name);
      if (!(await setBackend(name))) throw new Error(`tf.setBackend('${name}') failed to initialise`);
      await ready();
      return { name, skipped, detail };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      skipped.push(`${name}: ${why.split('\n')[0]}`);
      if (request !== 'auto') throw new Error(`backend ${name} is not available here: ${why}`);
    }
  }
  throw new Error(`no tfjs backend initialised: ${skipped.join('; ')}`);
}

export function activeBackend(): string {
  return getBackend();
}

/** Bytes tfjs holds on the device (or in the heap), for the status line. */
export function memoryBytes(): number {
  return engine().memory().numBytes;
}
