import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { build, type Plugin } from 'vite';
import { describe, expect, it } from 'vitest';

/**
 * Every browser-safe package, bundled on its own for the browser by Vite (Rolldown) with the browser export
 * conditions, from its built `dist` through its package.json `exports`, as a web app would import it. A
 * module on the way that imports a Node built-in (`node:fs`, `fs`, `worker_threads`, ...) fails the test,
 * with the importer named.
 */
const ENTRIES: Record<string, string> = {
  '@bot/lr-schedules': "export * from '@bot/lr-schedules';",
  '@bot/rng': "export * from '@bot/rng';",
  '@bot/resnet-variants': "export * from '@bot/resnet-variants';",
  '@bot/losses': "export * from '@bot/losses';",
  '@bot/optim': "export * from '@bot/optim';",
  '@bot/mixed-precision': "export * from '@bot/mixed-precision';",
  // the backend's kernel registration for wasm and webgpu, and its backend choice
  '@bot/backend': "export * from '@bot/backend';",
  '@bot/augment/tensor': "export * from '@bot/augment/tensor';",
};

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** The `browser` field of the package a file belongs to (its nearest package.json with a name). */
function browserField(file: string): Record<string, unknown> {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; browser?: unknown };
    if (!json.name) continue;
    return typeof json.browser === 'object' && json.browser !== null
      ? (json.browser as Record<string, unknown>)
      : {};
  }
  return {};
}

function nodeBuiltinGuard(found: string[]): Plugin {
  return {
    name: 'node-builtin-guard',
    enforce: 'pre',
    resolveId(source, importer) {
      if (BUILTINS.has(source) || source.startsWith('node:')) {
        // A package may declare in its `browser` field that a built-in becomes an empty module in browsers
        // (tfjs-core's util, seedrandom's crypto): the bundler honours that, and so does this guard.
        const bare = source.replace(/^node:/, '');
        const browser = importer ? browserField(importer) : {};
        if (browser[source] === false || browser[bare] === false) return null;
        found.push(`${source} imported by ${importer ?? '(entry)'}`);
        // keep going, to list every offender in one run
        return { id: source, external: true };
      }
      return null;
    },
  };
}

async function bundle(name: string, code: string): Promise<{ found: string[]; bytes: number }> {
  const found: string[] = [];
  const entry = `\0entry:${name}`;
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    root: import.meta.dirname,
    resolve: { conditions: ['browser', 'module', 'import', 'default'] },
    plugins: [
      nodeBuiltinGuard(found),
      {
        name: 'entry',
        enforce: 'pre',
        resolveId: (id) => (id === entry ? id : null),
        load: (id) => (id === entry ? code : null),
      },
    ],
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      rollupOptions: { input: entry, preserveEntrySignatures: 'strict' },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as { output: { type: string; code?: string }[] }[];
  let bytes = 0;
  for (const o of outputs)
    for (const chunk of o.output) if (chunk.type === 'chunk') bytes += chunk.code?.length ?? 0;
  return { found, bytes };
}

describe('browser bundles', () => {
  for (const [name, code] of Object.entries(ENTRIES)) {
    it(`${name} bundles for the browser without a Node built-in`, { timeout: 240_000 }, async () => {
      const { found, bytes } = await bundle(name, code);
      expect(found, `${name} reaches Node built-ins`).toEqual([]);
      expect(bytes).toBeGreaterThan(100);
    });
  }

  it('the guard catches a Node built-in (the packages that are Node-only fail it)', {
    timeout: 240_000,
  }, async () => {
    const { found } = await bundle('@bot/augment', "export * from '@bot/augment';");
    expect(found.some((f) => f.startsWith('node:fs'))).toBe(true);
  });
});
