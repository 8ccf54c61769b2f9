import { existsSync } from 'node:fs';

/** Where Debian's (and most distributions') Chromium keeps its SwiftShader Vulkan driver manifest. */
const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib64/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

/**
 * Points the Vulkan loader at Chromium's SwiftShader driver (a CPU implementation of Vulkan), so WebGPU runs
 * on a machine without a GPU: for tests and CI. Call it before the first WebGPU use in the process. Returns
 * the manifest used, or undefined when none is installed (Debian: apt-get install chromium).
 */
export function useSwiftShader(): string | undefined {
  const manifest = SWIFTSHADER_ICDS.find((path) => existsSync(path));
  if (manifest !== undefined) {
    process.env.VK_ICD_FILENAMES = manifest;
    process.env.VK_DRIVER_FILES = manifest;
  }
  return manifest;
}
