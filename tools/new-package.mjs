#!/usr/bin/env node
// Scaffolds packages/<dir> (or apps/<dir>) with the repo's standard shape: package.json with an exports map,
// LICENSE (the root's MIT text), tsconfig.json (typecheck src + test), tsconfig.build.json (emit dist),
// vitest.config.ts, src/index.ts.
// Usage: node tools/new-package.mjs <dir> <@bot/name> "<description>" [--app]
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, name, description, flag] = process.argv.slice(2);
if (!dir || !name || !description) {
  console.error('usage: node tools/new-package.mjs <dir> <@bot/name> "<description>" [--app]');
  process.exit(2);
}
const root = join(flag === '--app' ? 'apps' : 'packages', dir);
if (existsSync(join(root, 'package.json'))) {
  console.error(`${root}/package.json exists; not overwriting`);
  process.exit(1);
}
mkdirSync(join(root, 'src'), { recursive: true });
mkdirSync(join(root, 'test'), { recursive: true });
const pkg = {
  name,
  version: '0.0.0',
  description,
  license: 'MIT',
  repository: {
    type: 'git',
    url: 'git+https://github.com/bag-of-tricks-ts/bag-of-tricks-ts.git',
    directory: root,
  },
  homepage: `https://github.com/bag-of-tricks-ts/bag-of-tricks-ts/tree/main/${root}#readme`,
  bugs: { url: 'https://github.com/bag-of-tricks-ts/bag-of-tricks-ts/issues' },
  type: 'module',
  sideEffects: false,
  main: './dist/index.js',
  types: './dist/index.d.ts',
  exports: {
    '.': { types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
  // src ships because the source maps and declaration maps in dist point into it.
  files: ['dist', 'src', 'README.md', 'CHANGELOG.md'],
  engines: { node: '>=20.9' },
  scripts: {
    build: 'tsc -p tsconfig.build.json',
    typecheck: 'tsc -p tsconfig.json --noEmit',
    test: 'vitest run',
  },
};
const write = (file, text) => writeFileSync(join(root, file), text);
copyFileSync('LICENSE', join(root, 'LICENSE'));
write('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
write(
  'tsconfig.json',
  `${JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true, rootDir: '.' }, include: ['src', 'test'] }, null, 2)}\n`,
);
write(
  'tsconfig.build.json',
  `${JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { outDir: 'dist', rootDir: 'src', noEmit: false }, include: ['src'] }, null, 2)}\n`,
);
write(
  'vitest.config.ts',
  `import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // npm test runs on whatever machine a developer has, often busy: a test must not fail on speed alone.
    // Tests that take more than a second or two carry their own explicit timeout on top of this default.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
  },
});
`,
);
if (!existsSync(join(root, 'src/index.ts'))) write('src/index.ts', 'export {};\n');
console.log(`created ${root}`);
