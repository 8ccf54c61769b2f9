#!/usr/bin/env node
// Every @tensorflow/* dependency in the repo must name the same exact version, so the packages and the app
// share one tfjs engine instance and one set of registered backends.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const TFJS_VERSION = '4.22.0';
const manifests = ['package.json'];
for (const dir of ['packages', 'apps']) {
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name, 'package.json');
    if (existsSync(file)) manifests.push(file);
  }
}
const problems = [];
for (const file of manifests) {
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      if (dep.startsWith('@tensorflow/') && range !== TFJS_VERSION) {
        problems.push(
          `${file}: ${field}.${dep} is "${range}"; every @tensorflow/* package must be exactly "${TFJS_VERSION}"`,
        );
      }
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`tfjs pin: every @tensorflow/* dependency in ${manifests.length} manifests is ${TFJS_VERSION}`);
