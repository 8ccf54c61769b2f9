#!/usr/bin/env node
// Writes the initial weights our trainer builds for a run config (the same seeded init, zero gamma
// included) as a .safetensors file with timm keys, through @bot/resnet-variants' public API, so that
// tools/reference/train.py --initial-weights <file> starts PyTorch from exactly our starting point.
//
//   node tools/reference/export-initial.mjs --config <run config.json> --out <file.safetensors>
//
// Classes: syntheticClasses for the synthetic set, 10 for Fashion-MNIST; channels: 1 for Fashion-MNIST, 3
// otherwise (as apps/trainer/src/integrations/model.ts resnetConfigOf gets them from the data).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resnet, toSafetensors } from '@bot/resnet-variants';
import '@tensorflow/tfjs';

const { values } = parseArgs({ options: { config: { type: 'string' }, out: { type: 'string' } } });
if (!values.config || !values.out) {
  console.error(
    'usage: node tools/reference/export-initial.mjs --config <run config.json> --out <file.safetensors>',
  );
  process.exit(2);
}
const c = JSON.parse(readFileSync(values.config, 'utf8'));
const fashion = c.data === 'fashion-mnist';
if (!fashion && c.data !== 'synthetic') {
  console.error(
    `data = ${JSON.stringify(c.data)}: export-initial knows the classes of 'synthetic' and 'fashion-mnist' only`,
  );
  process.exit(2);
}
const config = {
  depth: c.depth,
  variant: c.variant,
  numClasses: fashion ? 10 : c.syntheticClasses,
  inputSize: c.inputSize,
  inputChannels: fashion ? 1 : 3,
  stem: c.stem,
  width: c.width,
  zeroGamma: c.zeroGamma,
  init: c.init,
  seed: c.seed,
};
const model = resnet(config);
writeFileSync(values.out, toSafetensors(model, config));
console.log(`export-initial: ${values.out}: ResNet-${c.depth}-${c.variant} width ${c.width}, seed ${c.seed}`);
