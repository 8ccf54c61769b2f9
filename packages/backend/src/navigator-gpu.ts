/** The WebGPU entry point: `navigator.gpu` in a browser, Dawn's through the npm package `webgpu` in Node. */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<unknown>;
}

type GlobalWithGpu = { navigator?: { gpu?: GpuLike }; process?: { versions?: { node?: string } } };

/** Thrown when no WebGPU implementation can be loaded; the message says what to install. */
export class NoWebGPUError extends Error {}

/**
 * Returns `navigator.gpu`, first installing Dawn's in Node: `create()` from the package `webgpu` becomes
 * `navigator.gpu`, and its globals (GPUBufferUsage, ...) are defined where missing. This must run before
 * `@tensorflow/tfjs-backend-webgpu` is imported, which registers the backend only where `navigator.gpu`
 * exists. On Linux, Dawn opens the system's Vulkan loader (Debian: libvulkan1) and its drivers.
 */
export async function ensureNavigatorGpu(
  importModule: (specifier: string) => Promise<unknown> = (s) => import(s),
  dawnFlags: readonly string[] = [],
): Promise<GpuLike> {
  const g = globalThis as GlobalWithGpu;
  if (g.navigator?.gpu) return g.navigator.gpu;
  if (g.process?.versions?.node === undefined) {
    throw new NoWebGPUError('this browser has no WebGPU (navigator.gpu is undefined)');
  }
  let dawn: { create(flags: string[]): GpuLike; globals: Record<string, unknown> };
  try {
    dawn = (await importModule('webgpu')) as typeof dawn;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new NoWebGPUError(
        'the package webgpu (Dawn for Node) is not installed; install with npm i webgpu',
      );
    }
    throw new NoWebGPUError(`the package webgpu failed to load: ${(error as Error).message}`);
  }
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  const gpu = dawn.create([...dawnFlags]);
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    // Node 21+ has a global Navigator without `gpu`.
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  }
  return gpu;
}
