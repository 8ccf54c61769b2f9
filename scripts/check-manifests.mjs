#!/usr/bin/env node
// What a library user meets in package.json, checked for every publishable workspace (not `private`):
// - the MIT licence: `license: "MIT"` and a LICENSE file identical to the root one (npm packs it);
// - repository (with its directory), homepage and bugs;
// - an exports map whose every entry ends in a `default` condition (so `require()` of these ESM packages
//   works where Node supports it) and names `types` first;
// - sideEffects that keep every module which registers something with tfjs when it loads (a top-level
//   `registerClass(...)`, `registerKernel(...)`, `env().registerFlag(...)`, ...), so a bundler cannot drop
//   the import users rely on.
// And for every workspace with tests, a vitest testTimeout with headroom (no test fails on speed alone).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const REPOSITORY = 'https://github.com/bag-of-tricks-ts/bag-of-tricks-ts';
const repo = join(import.meta.dirname, '..');

/** Top-level statements that change global state when the module is evaluated. */
const REGISTERING =
  /^(?![\s/*]|import\b|export\s*\{|export\s+(type|interface)\b).*\b(registerClass|registerKernel|registerGradient|registerBackend|registerFlag|registerOp|setBackend)\s*\(/m;

function sourceFiles(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function globToRegExp(glob) {
  const body = glob
    .replace(/^\.\//, '')
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^(.*/)?${body}$`);
}

/** True when `sideEffects` keeps the emitted module `distFile` (a path like `dist/x.js`). */
export function keepsModule(sideEffects, distFile) {
  if (sideEffects === undefined || sideEffects === true) return true;
  if (!Array.isArray(sideEffects)) return false;
  return sideEffects.some((pattern) => globToRegExp(pattern).test(distFile));
}

export function manifestProblems(dir, manifest, rootLicense) {
  const problems = [];
  const name = manifest.name ?? dir;
  const where = relative(repo, dir);
  if (manifest.license !== 'MIT')
    problems.push(`${name}: license is ${JSON.stringify(manifest.license)}, expected "MIT"`);
  const license = join(dir, 'LICENSE');
  if (!existsSync(license)) problems.push(`${name}: no LICENSE file (copy the root LICENSE into ${where}/)`);
  else if (readFileSync(license, 'utf8') !== rootLicense)
    problems.push(`${name}: LICENSE differs from the root LICENSE`);

  const repository = manifest.repository;
  if (
    repository?.type !== 'git' ||
    repository.url !== `git+${REPOSITORY}.git` ||
    repository.directory !== where
  ) {
    problems.push(
      `${name}: repository must be { "type": "git", "url": "git+${REPOSITORY}.git", "directory": "${where}" }, got ${JSON.stringify(repository)}`,
    );
  }
  if (typeof manifest.homepage !== 'string' || !manifest.homepage.startsWith(REPOSITORY)) {
    problems.push(
      `${name}: homepage must point into ${REPOSITORY}, got ${JSON.stringify(manifest.homepage)}`,
    );
  }
  if (manifest.bugs?.url !== `${REPOSITORY}/issues`) {
    problems.push(`${name}: bugs.url must be ${REPOSITORY}/issues, got ${JSON.stringify(manifest.bugs)}`);
  }

  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (typeof target === 'string') continue;
    const keys = Object.keys(target ?? {});
    if (keys.at(-1) !== 'default') {
      problems.push(
        `${name}: exports["${subpath}"] has conditions [${keys}]; the last one must be "default"`,
      );
    }
    if (keys.includes('types') && keys[0] !== 'types') {
      problems.push(`${name}: exports["${subpath}"] must name "types" first, got [${keys}]`);
    }
  }

  for (const file of sourceFiles(join(dir, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const match = text.match(REGISTERING);
    if (!match) continue;
    const dist = `dist/${relative(join(dir, 'src'), file).replace(/\.m?ts$/, '.js')}`;
    if (!keepsModule(manifest.sideEffects, dist)) {
      problems.push(
        `${name}: ${relative(repo, file)} calls ${match[2]}() when it loads, but sideEffects ${JSON.stringify(manifest.sideEffects)} lets a bundler drop ./${dist}; list it in sideEffects`,
      );
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rootLicense = readFileSync(join(repo, 'LICENSE'), 'utf8');
  const problems = [];
  let count = 0;
  for (const group of ['packages', 'apps']) {
    const base = join(repo, group);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base).sort()) {
      const file = join(base, entry, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      // Every workspace's tests (apps too) run with a default timeout that a busy machine cannot hit.
      const vitestConfig = join(base, entry, 'vitest.config.ts');
      if (existsSync(vitestConfig) && !/\btestTimeout:/.test(readFileSync(vitestConfig, 'utf8'))) {
        problems.push(
          `${manifest.name}: vitest.config.ts sets no testTimeout; give it the repo's 60_000 (vitest's 5 s default fails tests on a busy machine)`,
        );
      }
      if (manifest.private) continue;
      count++;
      problems.push(...manifestProblems(join(base, entry), manifest, rootLicense));
    }
  }
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  console.log(
    `manifests: ${count} publishable packages carry the MIT LICENSE, repository/homepage/bugs, default export conditions and the sideEffects their registering modules need`,
  );
}
