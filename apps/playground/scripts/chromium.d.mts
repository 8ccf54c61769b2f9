import type { BrowserContext } from 'playwright-core';

export function findChromium(): { path: string | null; why: string };
export const WEBGPU_FLAGS: string[];
export function launchChromium(options: {
  webgpu?: boolean;
  executablePath: string;
  downloads?: boolean;
}): Promise<{ context: BrowserContext; close: () => Promise<void> }>;
