import { selectBackend } from '../src/index.js';
import { useSwiftShader } from '../src/swiftshader.js';

/**
 * Makes 'webgpu' available on Chromium's SwiftShader driver, forced (a software adapter). Returns why it is
 * not, after printing it: the webgpu tests are then reported as skipped, never silently passed.
 */
export async function setUpWebGPU(): Promise<string | null> {
  const manifest = useSwiftShader();
  let why: string | null = null;
  if (manifest === undefined) {
    why = 'no SwiftShader Vulkan driver (Debian: apt-get install chromium; scripts/install-system-deps.sh)';
  } else {
    try {
      await selectBackend({ prefer: 'webgpu', env: {} });
    } catch (error) {
      why = (error as Error).message;
    }
  }
  if (why !== null) console.warn(`webgpu tests skipped: ${why}`);
  return why;
}
