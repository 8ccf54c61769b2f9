import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BACKEND_ORDER, formatChoice, selectBackend } from '../src/index.js';

const notInstalled = (specifier: string) =>
  Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });

describe('selectBackend', () => {
  it('tries node-gpu, node, wasm, cpu in order and says why it skipped the node backends', async () => {
    expect(BACKEND_ORDER).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    const tried: string[] = [];
    const choice = await selectBackend({
      env: {},
      importModule: async (specifier) => {
        tried.push(specifier);
        if (specifier.startsWith('@tensorflow/tfjs-node')) throw notInstalled(specifier);
        return import(specifier);
      },
    });
    expect(tried).toEqual([
      '@tensorflow/tfjs-node-gpu',
      '@tensorflow/tfjs-node',
      '@tensorflow/tfjs-backend-wasm',
    ]);
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
    expect(choice.skipped[1]?.why).toMatch(/not installed; install with npm i @tensorflow\/tfjs-node/);
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
    await expect(selectBackend({ env: { BOT_BACKEND: 'webgpu' } })).rejects.toThrow(RangeError);
    await expect(selectBackend({ env: { BOT_BACKEND: 'webgpu' } })).rejects.toThrow(
      "BOT_BACKEND must be one of auto, tensorflow-gpu, tensorflow, wasm, cpu; got 'webgpu'",
    );
    await expect(selectBackend({ prefer: 'gpu' as never })).rejects.toThrow(/options.prefer must be one of/);
  });
});
