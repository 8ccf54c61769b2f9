import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FLOAT16_MAX,
  FLOAT16_MIN_SUBNORMAL,
  float16BitsToFloat32Bits,
  float32BitsToFloat16Bits,
  fromFloat16Bits,
  roundNumberToFloat16,
  roundToFloat16,
  toFloat16Bits,
} from '../src/index.js';

interface HashPair {
  count: number;
  inputSha256: string;
  halfSha256: string;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/float16.json', import.meta.url), 'utf8')) as {
  cases: { name: string; float32Bits: number; halfBits: number }[];
  halfToFloat: { count: number; float32Sha256: string };
  boundary: HashPair;
  random: HashPair & { seed: number };
};

const sha256 = (a: Uint16Array | Uint32Array) =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');
const floatsOfBits = (bits: Uint32Array) => new Float32Array(bits.buffer, bits.byteOffset, bits.length);
const bitsOf = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0]!;

/** The numpy script's boundary set: [v, v+1ulp, v-1ulp, mid-1ulp, mid, mid+1ulp] per positive half, both signs. */
function boundaryInputs(): Uint32Array {
  const rows: number[] = [];
  for (let h = 0; h < 0x7c00; h++) {
    const value = fromFloat16Bits(Uint16Array.of(h))[0]!;
    const v = bitsOf(value);
    const next = h === 0x7bff ? 65536 : fromFloat16Bits(Uint16Array.of(h + 1))[0]!;
    const mid = bitsOf((value + next) / 2);
    rows.push(v, v + 1, v > 0 ? v - 1 : v, mid - 1, mid, mid + 1);
  }
  const input = new Uint32Array(rows.length * 2);
  input.set(rows);
  rows.forEach((b, i) => {
    input[rows.length + i] = (b | 0x80000000) >>> 0;
  });
  return input;
}

function randomInputs(seed: number, count: number): Uint32Array {
  const input = new Uint32Array(count);
  let x = seed;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    input[i] = x;
  }
  return input;
}

describe('float32 -> binary16 against numpy float16', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      expect(float32BitsToFloat16Bits(c.float32Bits)).toBe(c.halfBits);
      expect(toFloat16Bits(floatsOfBits(Uint32Array.of(c.float32Bits)))[0]).toBe(c.halfBits);
    });
  }

  it('every half value, its float32 neighbours and the midpoints and their neighbours (both signs)', () => {
    const input = boundaryInputs();
    expect(input.length).toBe(fixture.boundary.count);
    expect(sha256(input)).toBe(fixture.boundary.inputSha256);
    expect(sha256(toFloat16Bits(floatsOfBits(input)))).toBe(fixture.boundary.halfSha256);
  });

  it('200000 xorshift32 float32 bit patterns (NaN payloads, subnormals, everything)', () => {
    const input = randomInputs(fixture.random.seed, fixture.random.count);
    expect(sha256(input)).toBe(fixture.random.inputSha256);
    expect(sha256(toFloat16Bits(floatsOfBits(input)))).toBe(fixture.random.halfSha256);
  });
});

describe('binary16 -> float32', () => {
  const all = new Uint16Array(65536).map((_, i) => i);

  it('all 65536 bit patterns equal numpy astype(float32), NaN payloads included', () => {
    const floats = fromFloat16Bits(all);
    expect(sha256(new Uint32Array(floats.buffer))).toBe(fixture.halfToFloat.float32Sha256);
  });

  it('all 65536 bit patterns round-trip half -> float -> half exactly', () => {
    const back = toFloat16Bits(fromFloat16Bits(all));
    let mismatches = 0;
    for (let i = 0; i < 65536; i++) if (back[i] !== i) mismatches++;
    expect(mismatches).toBe(0);
    for (let h = 0; h < 65536; h += 257)
      expect(float32BitsToFloat16Bits(float16BitsToFloat32Bits(h))).toBe(h);
  });

  it('decodes the landmarks', () => {
    const f = fromFloat16Bits(Uint16Array.of(0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555));
    expect(f[0]).toBe(FLOAT16_MAX);
    expect(f[1]).toBe(FLOAT16_MIN_SUBNORMAL);
    expect(f[2]).toBe(2 ** -14);
    expect(Object.is(f[3], -0)).toBe(true);
    expect(f[4]).toBe(Number.POSITIVE_INFINITY);
    expect(f[5]).toBe(Number.NEGATIVE_INFINITY);
    expect(f[6]).toBeNaN();
    expect(f[7]).toBe(0.333251953125);
  });
});

describe('roundToFloat16', () => {
  it('rounds to the nearest half, keeping signed zero, infinities and NaN', () => {
    const x = Float32Array.of(65519.99, 65520, -0, 2 ** -25, 1.5 * 2 ** -25, Number.NaN, 0.1, -1e9);
    const r = roundToFloat16(x);
    expect(Array.from(r.subarray(0, 5))).toEqual([65504, Number.POSITIVE_INFINITY, -0, 0, 2 ** -24]);
    expect(Object.is(r[2], -0)).toBe(true);
    expect(r[5]).toBeNaN();
    expect(r[6]).toBe(0.0999755859375);
    expect(r[7]).toBe(Number.NEGATIVE_INFINITY);
    expect(roundNumberToFloat16(0.1)).toBe(0.0999755859375);
  });

  it('equals fromFloat16Bits(toFloat16Bits(x)) bit for bit on the boundary and random sets', () => {
    for (const input of [boundaryInputs(), randomInputs(fixture.random.seed, fixture.random.count)]) {
      const x = floatsOfBits(input);
      const viaBits = new Uint32Array(fromFloat16Bits(toFloat16Bits(x)).buffer);
      const direct = new Uint32Array(roundToFloat16(x).buffer);
      let mismatches = 0;
      for (let i = 0; i < direct.length; i++) if (direct[i] !== viaBits[i]) mismatches++;
      expect(mismatches).toBe(0);
    }
  });

  it('is idempotent and works in place', () => {
    const x = new Float32Array(1000).map((_, i) => Math.sin(i) * 10 ** ((i % 12) - 8));
    const once = roundToFloat16(x);
    expect(roundToFloat16(once)).toEqual(once);
    const copy = x.slice();
    expect(roundToFloat16(copy, copy)).toEqual(once);
    expect(() => roundToFloat16(x, new Float32Array(3))).toThrow(
      /out has length 3; it must equal values' length 1000/,
    );
  });
});
