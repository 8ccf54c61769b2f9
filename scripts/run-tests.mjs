#!/usr/bin/env node
// `npm test`: build, lint, typecheck and test every workspace through turbo (cached, in dependency order),
// then print one summary line counted from each package's vitest JSON report.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function run(command, args) {
  console.log(`\n$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
  return result.status ?? 1;
}

const failures = [];
if (run('npx', ['biome', 'check', 'package.json', 'turbo.json', 'scripts', 'tools', '.changeset']) !== 0)
  failures.push('lint (root files)');
if (run('node', ['scripts/check-versions.mjs']) !== 0) failures.push('tfjs version pin');
if (run('node', ['scripts/check-manifests.mjs']) !== 0) failures.push('package manifests');
if (
  run('npx', ['turbo', 'run', 'build', 'lint', 'typecheck', 'test', '--concurrency=2', '--continue']) !== 0
) {
  failures.push('turbo build/typecheck/test');
}

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const dir of ['packages', 'apps']) {
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir).sort()) {
    const report = join(dir, name, '.vitest-report.json');
    if (!existsSync(report)) {
      rows.push(`${dir}/${name}: no test report`);
      continue;
    }
    const json = JSON.parse(readFileSync(report, 'utf8'));
    passed += json.numPassedTests ?? 0;
    failed += json.numFailedTests ?? 0;
    skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
    rows.push(`${dir}/${name}: ${json.numPassedTests} passed, ${json.numFailedTests} failed`);
  }
}
console.log(`\n${rows.join('\n')}`);
if (failures.length > 0) console.log(`\nfailed steps: ${failures.join(', ')}`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failures.length > 0 || failed > 0 ? 1 : 0);
