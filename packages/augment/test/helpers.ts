import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Rng } from '@bot/rng';

export const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: the golden file is plain JSON written by tools/augment.
export const golden: any = JSON.parse(readFileSync(fixture('golden.json'), 'utf8'));

export function u8(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

export function f32(b64: string): Float32Array {
  const b = Buffer.from(b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Largest and mean absolute difference of two equally long arrays. */
export function diff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (d > max) max = d;
    sum += d;
  }
  return { max, mean: sum / a.length };
}

type Draw = ['u', number, number, number] | ['i', number, number];

/**
 * An Rng stand-in that replays draws recorded from torch (uniform values and integers), checking that each
 * request asks for the same kind of draw over the same range.
 */
export function replayRng(draws: Draw[]): Rng & { remaining: () => number } {
  let k = 0;
  const next = (kind: 'u' | 'i'): Draw => {
    const d = draws[k++];
    if (!d) throw new Error(`replay ran out of draws after ${k - 1}`);
    if (d[0] !== kind) throw new Error(`draw ${k - 1}: asked for '${kind}', recorded '${d[0]}'`);
    return d;
  };
  return {
    uniformRange(lo: number, hi: number): number {
      const d = next('u') as ['u', number, number, number];
      if (Math.abs(d[1] - lo) > 1e-6 || Math.abs(d[2] - hi) > 1e-6) {
        throw new Error(`uniform range [${lo}, ${hi}] != recorded [${d[1]}, ${d[2]}]`);
      }
      return d[3];
    },
    int(n: number): number {
      const d = next('i') as ['i', number, number];
      if (d[1] !== n) throw new Error(`int(${n}) != recorded int(${d[1]})`);
      return d[2];
    },
    remaining: () => draws.length - k,
  } as unknown as Rng & { remaining: () => number };
}
