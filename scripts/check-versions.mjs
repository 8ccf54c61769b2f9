#!/usr/bin/env node
// The tfjs version rule. Libraries (the publishable packages) take tfjs as a peer range, `^4.22.0`, so a
// user's newer 4.x tfjs satisfies them instead of failing `npm install` with ERESOLVE, and the user's one
// tfjs engine is shared by every package. tfjs's own packages (backends, layers) pin tfjs-core exactly, so a
// library must not depend on them either: they are peers too. Inside the repo everything is tested against
// one exact version: devDependencies, the root and the private apps pin it exactly.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TFJS_VERSION = '4.22.0';
export const TFJS_PEER_RANGE = `^${TFJS_VERSION}`;

/** Problems of one manifest under the rule (an empty list when it follows it). */
export function tfjsPinProblems(file, manifest) {
  const problems = [];
  const library = !manifest.private;
  const say = (field, dep, range, want) => problems.push(`${file}: ${field}.${dep} is "${range}"; ${want}`);
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      if (!dep.startsWith('@tensorflow/')) continue;
      if (!library || field === 'devDependencies') {
        if (range !== TFJS_VERSION) {
          say(
            field,
            dep,
            range,
            `${library ? 'devDependencies' : 'the app and the root'} pin exactly "${TFJS_VERSION}"`,
          );
        }
      } else if (field === 'peerDependencies') {
        if (range !== TFJS_PEER_RANGE)
          say(field, dep, range, `a library's tfjs peer range is "${TFJS_PEER_RANGE}"`);
      } else {
        say(
          field,
          dep,
          range,
          `a library takes @tensorflow/* as a peerDependency "${TFJS_PEER_RANGE}" (add "${TFJS_VERSION}" to devDependencies for its tests), never as a ${field.replace(/ies$/, 'y')}`,
        );
      }
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const manifests = ['package.json'];
  for (const dir of ['packages', 'apps']) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name, 'package.json');
      if (existsSync(file)) manifests.push(file);
    }
  }
  const problems = manifests.flatMap((file) => tfjsPinProblems(file, JSON.parse(readFileSync(file, 'utf8'))));
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  console.log(
    `tfjs versions: ${manifests.length} manifests follow the rule (library peers "${TFJS_PEER_RANGE}", everything else "${TFJS_VERSION}")`,
  );
}
