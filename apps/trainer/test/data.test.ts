import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSyntheticImageFolder } from '@bot/data';
import { describe, expect, it } from 'vitest';
import { openData } from '../src/integrations/data.js';
import { resolveConfig } from '../src/resolve.js';
import { tempDir } from './helpers.js';

describe('openData on an ImageFolder root', () => {
  it("takes timm's validation/ as the validation split and says so in the description", async () => {
    const root = join(tempDir('data'), 'timm-style');
    await writeSyntheticImageFolder(root, { classes: 2, split: { train: 2, val: 1 }, size: 8, seed: 3 });
    renameSync(join(root, 'val'), join(root, 'validation'));
    const config = resolveConfig({ data: root, inputSize: 8 });
    const data = await openData(config, tempDir('cache'));
    expect([data.train.length, data.val.length, data.classes.length]).toEqual([4, 2, 2]);
    expect(data.description).toBe(`ImageFolder ${root} (train/, validation/)`);
    expect(data.val.describe?.(0)).toContain(join(root, 'validation'));
  });

  it('names both accepted folders when the root has neither', async () => {
    const root = join(tempDir('data'), 'no-val');
    mkdirSync(join(root, 'train', 'cat'), { recursive: true });
    writeFileSync(join(root, 'train', 'cat', 'a.jpg'), '');
    const config = resolveConfig({ data: root, inputSize: 8 });
    await expect(openData(config, tempDir('cache'))).rejects.toThrow(
      /no val split: expected a folder val\/ or validation\//,
    );
  });
});
