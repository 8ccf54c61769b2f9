#!/usr/bin/env node
// Proves `changeset version` works: runs it in a throwaway clone and checks that every pending changeset
// became a version bump and a CHANGELOG entry. The repo itself is left untouched.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const clone = mkdtempSync(join(tmpdir(), 'bot-changeset-'));
try {
  execFileSync('git', ['clone', '--quiet', repo, clone]);
  // Uncommitted changesets count too: copy the working tree's .changeset over the clone's.
  execFileSync('cp', ['-r', join(repo, '.changeset'), clone]);
  for (const dir of ['packages', 'apps']) {
    execFileSync('cp', ['-r', join(repo, dir), clone]);
  }
  execFileSync('rm', [
    '-rf',
    ...['packages', 'apps'].flatMap((d) =>
      readdirSync(join(clone, d)).map((n) => join(clone, d, n, 'node_modules')),
    ),
  ]);
  execFileSync('ln', ['-s', join(repo, 'node_modules'), join(clone, 'node_modules')]);
  execFileSync(join(repo, 'node_modules/.bin/changeset'), ['version'], { cwd: clone, stdio: 'inherit' });
  const problems = [];
  for (const dir of ['packages', 'apps']) {
    for (const name of readdirSync(join(clone, dir))) {
      const manifest = JSON.parse(readFileSync(join(clone, dir, name, 'package.json'), 'utf8'));
      const changelog = join(clone, dir, name, 'CHANGELOG.md');
      if (manifest.version === '0.0.0') problems.push(`${manifest.name}: still 0.0.0 (no changeset?)`);
      // A first release stays 0.x: a major bump usually comes from a peer range that the bump left behind.
      else if (!manifest.version.startsWith('0.'))
        problems.push(`${manifest.name}: first release as ${manifest.version}`);
      else if (!existsSync(changelog)) problems.push(`${manifest.name}: no CHANGELOG.md written`);
      else console.log(`${manifest.name}: ${manifest.version}`);
    }
  }
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  console.log('changeset version: ok');
} finally {
  rmSync(clone, { recursive: true, force: true });
}
