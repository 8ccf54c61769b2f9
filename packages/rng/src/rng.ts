import { hashString, mixWords, splitmix32 } from './hash.js';

/** The whole state of a generator: four 32-bit words. Plain JSON, so it goes into a checkpoint as is. */
export interface RngState {
  readonly algorithm: 'xoshiro128**';
  readonly words: readonly [number, number, number, number];
}

export type Seed = number | string;

function checkSeed(seed: Seed): number {
  if (typeof seed === 'string') return hashString(seed);
  if (!Number.isFinite(seed) || !Number.isInteger(seed)) {
    throw new RangeError(`seed must be an integer or a string, got ${seed}`);
  }
  return mixWords([seed]);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A seeded xoshiro128** generator. Every draw advances the four-word state; `getState()`/`Rng.fromState()`
 * round-trip it exactly, so a resumed run draws the same numbers as one that never stopped.
 *
 * `Rng.derive(seed, ...keys)` gives an independent stream per (epoch, sample, ...) key: a data loader can
 * decode samples in any order and still give each one the same random augmentation.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(words: readonly [number, number, number, number]) {
    [this.s0, this.s1, this.s2, this.s3] = words.map((w) => w | 0) as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      throw new RangeError('RngState.words must not be all zero (xoshiro128** would only ever return 0)');
    }
  }

  /** A generator seeded from an integer or a string. */
  static from(seed: Seed): Rng {
    return Rng.fromWord(checkSeed(seed));
  }

  /** An independent generator for a key path under a seed, e.g. `Rng.derive(seed, epoch, sampleIndex)`. */
  static derive(seed: Seed, ...keys: number[]): Rng {
    for (const [i, k] of keys.entries()) {
      if (!Number.isInteger(k)) throw new RangeError(`keys[${i}] must be an integer, got ${k}`);
    }
    return Rng.fromWord(mixWords([checkSeed(seed), ...keys]));
  }

  /** Restores a generator from `getState()`. */
  static fromState(state: RngState): Rng {
    if (state?.algorithm !== 'xoshiro128**' || !Array.isArray(state.words) || state.words.length !== 4) {
      throw new RangeError(
        `state must be { algorithm: 'xoshiro128**', words: [4 integers] }, got ${JSON.stringify(state)}`,
      );
    }
    for (const [i, w] of state.words.entries()) {
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) {
        throw new RangeError(`state.words[${i}] must be an unsigned 32-bit integer, got ${w}`);
      }
    }
    return new Rng(state.words);
  }

  private static fromWord(word: number): Rng {
    let sm = word | 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = splitmix32(sm);
      sm = r.state;
      words.push(r.value);
    }
    return new Rng(words as unknown as [number, number, number, number]);
  }

  getState(): RngState {
    return { algorithm: 'xoshiro128**', words: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] };
  }

  /** A copy that continues from the same state without touching this one. */
  clone(): Rng {
    return Rng.fromState(this.getState());
  }

  /** A child stream keyed by `keys`; advances this generator by one draw. */
  fork(...keys: number[]): Rng {
    return Rng.derive(this.nextUint32(), ...keys);
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform on [0, 1) with 53 random bits (two draws). */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform on [low, high). */
  uniformRange(low: number, high: number): number {
    if (!(low <= high)) throw new RangeError(`uniformRange needs low <= high, got low=${low}, high=${high}`);
    return low + (high - low) * this.uniform();
  }

  /** A uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) {
      throw new RangeError(`int(n) needs an integer n in [1, 2^32], got ${n}`);
    }
    if (n === 0x100000000) return this.nextUint32();
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** true with probability p. */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli(p) needs p in [0, 1], got ${p}`);
    return this.uniform() < p;
  }

  /** A normal draw (Box-Muller; no cached spare, so the state stays four words). */
  normal(mean = 0, std = 1): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Gamma(shape, scale) by Marsaglia and Tsang (2000), with the u^(1/shape) boost for shape < 1. */
  gamma(shape: number, scale = 1): number {
    if (!(shape > 0) || !Number.isFinite(shape))
      throw new RangeError(`gamma shape must be > 0, got ${shape}`);
    if (!(scale > 0) || !Number.isFinite(scale))
      throw new RangeError(`gamma scale must be > 0, got ${scale}`);
    if (shape < 1) {
      let u = this.uniform();
      while (u === 0) u = this.uniform();
      return this.gamma(shape + 1, scale) * u ** (1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }

  /** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number {
    if (!(a > 0)) throw new RangeError(`beta a must be > 0, got ${a}`);
    if (!(b > 0)) throw new RangeError(`beta b must be > 0, got ${b}`);
    const x = this.gamma(a);
    const y = this.gamma(b);
    const sum = x + y;
    // Both underflow only for tiny a and b; then the mass sits at 0 and 1 equally often.
    if (sum === 0) return this.uniform() < a / (a + b) ? 1 : 0;
    return x / sum;
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`permutation(n) needs an integer n >= 0, got ${n}`);
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i] as number;
      out[i] = out[j] as number;
      out[j] = tmp;
    }
    return out;
  }
}
