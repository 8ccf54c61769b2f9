#!/usr/bin/env node
// Writes out the exact training and validation images of a bot-train run config, for the PyTorch reference
// trainer (tools/reference/train.py), through @bot/data's public API.
//
//   node tools/reference/export-data.mjs --config <run config.json> --out <folder> [--cache <dir>]
//
// <folder>/data.json describes both splits, in our order (the loader's index i is item i here):
// - Fashion-MNIST: <folder>/train.u8 and val.u8 hold the pixels (uint8, N x 28 x 28 x 1, NHWC), the labels
//   are in data.json. The subsets follow trainLimit / valLimit as the trainer picks them
//   (apps/trainer/src/integrations/data.ts, firstItems: item i is sample floor(i * length / limit)).
// - synthetic: the JPEG files the trainer itself reads, written by writeSyntheticImageFolder with the
//   trainer's arguments into the trainer's cache folder (<runsDir>/.cache/synthetic-c<C>-n<N>-s<S>-seed<seed>,
//   or under --cache), listed as [path, label] in ImageFolder order (classes and files sorted by code point).
// - an ImageFolder root: its files, listed the same way.
// Needs the workspace built (npm run build). Writes nothing when <folder>/data.json exists already.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fashionMnist, imageFolderSplit, writeSyntheticImageFolder } from '@bot/data';

const { values } = parseArgs({
  options: { config: { type: 'string' }, out: { type: 'string' }, cache: { type: 'string' } },
});
if (!values.config || !values.out) {
  console.error(
    'usage: node tools/reference/export-data.mjs --config <run config.json> --out <folder> [--cache <dir>]',
  );
  process.exit(2);
}
const config = JSON.parse(readFileSync(values.config, 'utf8'));
const out = resolve(values.out);
if (existsSync(join(out, 'data.json'))) {
  console.log(`export-data: ${join(out, 'data.json')} exists already`);
  process.exit(0);
}

/** The trainer's subset: item i of `limit` is sample floor(i * length / limit) (firstItems). */
function pick(length, limit) {
  if (limit === null || limit === undefined || limit >= length) return Array.from({ length }, (_, i) => i);
  const stride = length / limit;
  return Array.from({ length: limit }, (_, i) => Math.floor(i * stride));
}

/** The trainer's synthetic cache folder (syntheticRoot in apps/trainer/src/integrations/data.ts). */
async function syntheticRoot(cacheDir) {
  const root = join(
    cacheDir,
    `synthetic-c${config.syntheticClasses}-n${config.syntheticPerClass}-s${config.syntheticSize}-seed${config.seed}`,
  );
  if (!existsSync(join(root, '.complete'))) {
    await writeSyntheticImageFolder(root, {
      classes: config.syntheticClasses,
      size: config.syntheticSize,
      seed: config.seed,
      split: { train: config.syntheticPerClass, val: config.syntheticPerClass },
    });
    await writeFile(join(root, '.complete'), '');
  }
  return root;
}

mkdirSync(out, { recursive: true });
let data;
if (config.data === 'fashion-mnist') {
  const splits = {};
  for (const [name, split, limit] of [
    ['train', 'train', config.trainLimit],
    ['val', 'test', config.valLimit],
  ]) {
    const set = fashionMnist({ split });
    const indices = pick(set.length, limit);
    const pixels = new Uint8Array(indices.length * 28 * 28);
    const labels = indices.map((index, i) => {
      const raw = set.raw(index);
      pixels.set(raw.pixels, i * 28 * 28);
      return raw.label;
    });
    writeFileSync(join(out, `${name}.u8`), pixels);
    splits[name] = { pixels: `${name}.u8`, shape: [indices.length, 28, 28, 1], labels, source: indices };
  }
  data = { kind: 'arrays', classes: [...fashionMnist({ split: 'test' }).classes], channels: 1, ...splits };
} else {
  const root =
    config.data === 'synthetic'
      ? await syntheticRoot(values.cache ?? join(config.runsDir, '.cache'))
      : resolve(config.data);
  const splits = {};
  let classes;
  for (const [name, limit] of [
    ['train', config.trainLimit],
    ['val', config.valLimit],
  ]) {
    const set = imageFolderSplit(root, name);
    classes = [...set.classes];
    const files = pick(set.samples.length, limit).map((i) => [
      resolve(set.samples[i].path),
      set.samples[i].label,
    ]);
    splits[name] = { files };
  }
  data = { kind: 'files', root, classes, channels: 3, ...splits };
}
writeFileSync(join(out, 'data.json'), `${JSON.stringify({ data: config.data, ...data })}\n`);
console.log(
  `export-data: ${config.data}: ${data.train.labels?.length ?? data.train.files.length} training and ${data.val.labels?.length ?? data.val.files.length} validation images in ${out}`,
);
