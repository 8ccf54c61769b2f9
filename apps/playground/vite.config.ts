import { copyFileSync, createReadStream, existsSync, linkSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/** The fashion-mnist package's per-class JSON files (0.json ... 9.json). */
const require = createRequire(import.meta.url);
const CLOTHES = join(dirname(require.resolve('fashion-mnist/package.json')), 'src', 'clothes');
const FILES = Array.from({ length: 10 }, (_, c) => `${c}.json`);

/**
 * Serves Fashion-MNIST as static files under `fashion-mnist/`: from the installed package in `vite` (dev),
 * and copied into `dist/fashion-mnist/` by `vite build` (hard links when the file system allows), so the
 * built folder works from any static file server with no network.
 */
function fashionMnist(): Plugin {
  let outDir = 'dist';
  return {
    name: 'fashion-mnist-static',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /\/fashion-mnist\/(\d)\.json$/.exec(req.url?.split('?')[0] ?? '');
        if (!m) return next();
        const file = join(CLOTHES, `${m[1]}.json`);
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('Content-Length', statSync(file).size);
        createReadStream(file).pipe(res);
      });
    },
    writeBundle() {
      const target = join(outDir, 'fashion-mnist');
      mkdirSync(target, { recursive: true });
      for (const f of FILES) {
        const to = join(target, f);
        if (existsSync(to)) continue;
        try {
          linkSync(join(CLOTHES, f), to);
        } catch {
          copyFileSync(join(CLOTHES, f), to);
        }
      }
    },
  };
}

export default defineConfig({
  // relative asset URLs: the built page works from any folder of any static server
  base: './',
  plugins: [fashionMnist()],
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
  },
  optimizeDeps: {
    exclude: ['@tensorflow/tfjs-backend-wasm'],
  },
  server: { port: 5173 },
  preview: { port: 4173 },
});
