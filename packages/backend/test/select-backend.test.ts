import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BACKEND_ORDER, BROWSER_BACKEND_ORDER, formatChoice, selectBackend } from '../src/index.js';
import { useSwiftShader } from '../src/swiftshader.js';

// Before any WebGPU use in this process: the only Vulkan driver the tests rely on is SwiftShader's.
const swiftShader = useSwiftShader();
if (swiftShader === undefined) {
  console.warn(
    'webgpu selection test skipped: no SwiftShader Vulkan driver (Debian: apt-get install chromium)',
  );
}

const notInstalled = (specifier: string) =>
  Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });

describe('selectBackend', () => {
  it('tries node-gpu, webgpu, node, wasm, cpu in order and says why it skipped each', async () => {
    expect(BACKEND_ORDER).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']);
    expect(BROWSER_BACKEND_ORDER).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
    const tried: string[] = [];
    const choice = await selectBackend({
      env: {},
      importModule: async (specifier) => {
        tried.push(specifier);
        if (specifier.startsWith('@tensorflow/tfjs-node') || specifier === 'webgpu')
          throw notInstalled(specifier);
        return import(specifier);
      },
    });
    expect(tried).toEqual([
      '@tensorflow/tfjs-node-gpu',
      'webgpu',
      '@tensorflow/tfjs-node',
      '@tensorflow/tfjs-backend-wasm',
    ]);
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow']);
    expect(choice.skipped[1]?.why).toBe(
      'the package webgpu (Dawn for Node) is not installed; install with npm i webgpu',
    );
    expect(choice.skipped[2]?.why).toMatch(/not installed; install with npm i @tensorflow\/tfjs-node/);
    expect(formatChoice(choice)).toMatch(/^backend wasm .*skipped tensorflow-gpu/);
  });

  it('really finds the node backends missing on a machine without them', async () => {
    const choice = await selectBackend({ env: {} });
    expect(['tensorflow-gpu', 'tensorflow', 'wasm']).toContain(choice.name);
    for (const s of choice.skipped) expect(s.why.length).toBeGreaterThan(0);
  });

  it('honours BOT_BACKEND, and the prefer option over it', async () => {
    const logged: string[] = [];
    const fromEnv = await selectBackend({ env: { BOT_BACKEND: 'cpu' }, log: (m) => logged.push(m) });
    expect(fromEnv).toMatchObject({ name: 'cpu', skipped: [] });
    expect(fromEnv.reason).toMatch(/BOT_BACKEND=cpu/);
    expect(tf.getBackend()).toBe('cpu');
    expect(logged).toHaveLength(1);
    const preferred = await selectBackend({ prefer: 'wasm', env: { BOT_BACKEND: 'cpu' } });
    expect(preferred.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const auto = await selectBackend({
      env: { BOT_BACKEND: 'auto' },
      importModule: async (s) => {
        if (s.startsWith('@tensorflow/tfjs-node')) throw notInstalled(s);
        return import(s);
      },
    });
    expect(auto.name).toBe('wasm');
  });

  it('fails loudly when the requested backend cannot be used, instead of falling back', async () => {
    await expect(
      selectBackend({ prefer: 'tensorflow', importModule: async (s) => Promise.reject(notInstalled(s)) }),
    ).rejects.toThrow(
      /backend 'tensorflow' requested by options.prefer='tensorflow' cannot be used: tensorflow: not installed/,
    );
  });

  it('rejects an unknown backend name with a RangeError naming the source and the allowed values', async () => {
    await expect(selectBackend({ env: { BOT_BACKEND: 'metal' } })).rejects.toThrow(RangeError);
    await expect(selectBackend({ env: { BOT_BACKEND: 'metal' } })).rejects.toThrow(
      "BOT_BACKEND must be one of auto, tensorflow-gpu, webgpu, tensorflow, wasm, webgl, cpu; got 'metal'",
    );
    await expect(selectBackend({ prefer: 'gpu' as never })).rejects.toThrow(/options.prefer must be one of/);
  });

  it.skipIf(swiftShader === undefined)(
    'skips a software WebGPU adapter in auto mode, naming it, and takes it when forced',
    async () => {
      const auto = await selectBackend({
        env: {},
        importModule: async (s) => {
          if (s.startsWith('@tensorflow/tfjs-node')) throw notInstalled(s);
          return import(s);
        },
      });
      expect(auto.name).toBe('wasm');
      const webgpu = auto.skipped.find((s) => s.name === 'webgpu');
      expect(webgpu?.why).toMatch(
        /^software adapter google swiftshader \(SwiftShader driver [\d.]+\), software; max buffer \d+\.\d\d GiB, storage binding \d+\.\d\d GiB: slower than wasm on the CPU; force it with BOT_BACKEND=webgpu$/,
      );
      const forced = await selectBackend({ env: { BOT_BACKEND: 'webgpu' } });
      expect(forced.name).toBe('webgpu');
      expect(tf.getBackend()).toBe('webgpu');
      expect(forced.adapter).toMatchObject({ vendor: 'google', architecture: 'swiftshader', software: true });
      expect(forced.adapter?.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20);
      expect(forced.reason).toMatch(
        /^requested by BOT_BACKEND=webgpu: WebGPU compute shaders on the GPU: google swiftshader/,
      );
      // Choosing it again keeps the initialised backend (and its tensors).
      const kept = tf.ones([4]);
      await selectBackend({ prefer: 'webgpu' });
      expect(Array.from(await kept.data())).toEqual([1, 1, 1, 1]);
      kept.dispose();
    },
    60_000,
  );
});
