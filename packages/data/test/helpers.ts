import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Rng } from '@bot/rng';
import type { Dataset, Sample } from '../src/index.js';

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `bot-data-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * A dataset whose items are drawn from the per-sample rng, loaded after a random delay (Math.random, so
 * completion order differs between runs), with instrumentation of concurrent loads.
 */
export class DelayedDataset implements Dataset {
  readonly classes = ['a', 'b', 'c'];
  active = 0;
  maxActive = 0;
  started = 0;
  readonly startedIndices: number[] = [];
  constructor(
    readonly length: number,
    private readonly maxDelayMs = 3,
    private readonly failing: ReadonlySet<number> = new Set(),
  ) {}

  describe(index: number): string {
    return `item-${index}`;
  }

  async load(index: number, rng: Rng): Promise<Sample> {
    this.started++;
    this.startedIndices.push(index);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * this.maxDelayMs));
      if (this.failing.has(index)) throw new Error(`broken item ${index}`);
      const data = new Float32Array(2 * 2 * 1);
      for (let i = 0; i < data.length; i++) data[i] = rng.uniform();
      data[0] = index;
      return { image: { data, shape: [2, 2, 1], layout: 'hwc' }, label: index % 3 };
    } finally {
      this.active--;
    }
  }
}
