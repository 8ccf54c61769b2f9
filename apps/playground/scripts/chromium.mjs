// Debian's chromium driven by playwright-core (which never downloads a browser of its own here), headless,
// with WebGL2 on SwiftShader out of the box and, with `webgpu: true`, WebGPU on SwiftShader's Vulkan driver.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The Chromium executable, or null with the reason. @returns {{ path: string | null, why: string }} */
export function findChromium() {
  for (const p of CANDIDATES) if (p && existsSync(p)) return { path: p, why: '' };
  return {
    path: null,
    why: `no Chromium at ${CANDIDATES.filter(Boolean).join(' or ')} (set CHROMIUM_PATH; CI installs it with scripts/install-system-deps.sh)`,
  };
}

const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

export const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
];

/**
 * Launches headless Chromium with a fresh profile. Resolves to `{ browser, context, close }`.
 * @param {{ webgpu?: boolean, executablePath: string, downloads?: boolean }} options
 */
export async function launchChromium({ webgpu = false, executablePath, downloads = true }) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'bot-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    acceptDownloads: downloads,
    viewport: { width: 1500, height: 1100 },
    args: [...BASE_FLAGS, ...(webgpu ? WEBGPU_FLAGS : [])],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
