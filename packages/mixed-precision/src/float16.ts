// Exact IEEE 754 binary16 <-> binary32 conversion on bit patterns, rounding to nearest, ties to even, with
// numpy's NaN convention (the top 10 payload bits are kept; a payload that would vanish becomes 1).

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** binary16 bits of the float32 whose bit pattern is `f` (an unsigned 32-bit integer). */
export function float32BitsToFloat16Bits(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exponent = (f >>> 23) & 0xff;
  const mantissa = f & 0x7fffff;
  if (exponent === 0xff) {
    if (mantissa === 0) return sign | 0x7c00;
    return sign | 0x7c00 | (mantissa >>> 13 || 1);
  }
  if (exponent >= 143) return sign | 0x7c00; // |x| >= 2^16: beyond even the rounding range of 65504
  if (exponent >= 113) {
    // normal half: rebias the exponent, keep 10 mantissa bits, round on the 13 dropped ones; a carry out of
    // the mantissa correctly bumps the exponent (up to infinity for 65520 <= |x| < 65536)
    const h = ((exponent - 112) << 10) | (mantissa >>> 13);
    const rest = mantissa & 0x1fff;
    return sign | (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1) ? h + 1 : h);
  }
  if (exponent < 102) return sign; // |x| < 2^-25: rounds to (signed) zero
  // subnormal half: the value in units of 2^-24 is significand * 2^(exponent - 126); shift is 14..24
  const significand = mantissa | 0x800000;
  const shift = 126 - exponent;
  const h = significand >>> shift;
  const rest = significand & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return sign | (rest > half || (rest === half && (h & 1) === 1) ? h + 1 : h);
}

/** float32 bit pattern (unsigned) of the binary16 bit pattern `h`. Exact: every half is a float32. */
export function float16BitsToFloat32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  // subnormal half m * 2^-24: normalise into a float32 exponent
  const lead = 31 - Math.clz32(mantissa); // 0..9
  return (sign | ((lead + 103) << 23) | ((mantissa << (23 - lead)) & 0x7fffff)) >>> 0;
}

let halfToFloatTable: Uint32Array | undefined;

/** float32 bit patterns of all 65536 halves (256 KiB), built on first use. */
function table(): Uint32Array {
  if (!halfToFloatTable) {
    halfToFloatTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfToFloatTable[h] = float16BitsToFloat32Bits(h);
  }
  return halfToFloatTable;
}

function bitsView(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** The binary16 bit patterns of `values`, rounded to nearest even. */
export function toFloat16Bits(values: Float32Array): Uint16Array {
  const bits = bitsView(values);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) out[i] = float32BitsToFloat16Bits(bits[i] as number);
  return out;
}

/** The float32 values of binary16 bit patterns (exact; NaN payloads kept). */
export function fromFloat16Bits(halves: Uint16Array): Float32Array {
  const t = table();
  const out = new Float32Array(halves.length);
  const outBits = bitsView(out);
  for (let i = 0; i < halves.length; i++) outBits[i] = t[halves[i] as number] as number;
  return out;
}

/**
 * `values` rounded to the nearest binary16 value, held in float32: what storing them in FP16 and reading them
 * back gives. Writes into `out` (which may be `values` itself) when given.
 */
export function roundToFloat16(
  values: Float32Array,
  out: Float32Array = new Float32Array(values.length),
): Float32Array {
  if (out.length !== values.length) {
    throw new RangeError(
      `roundToFloat16: out has length ${out.length}; it must equal values' length ${values.length}`,
    );
  }
  const t = table();
  const inBits = bitsView(values);
  const outBits = bitsView(out);
  for (let i = 0; i < inBits.length; i++) {
    const b = inBits[i] as number;
    const magnitude = b & 0x7fffffff;
    if (magnitude >= 0x38800000 && magnitude < 0x47800000) {
      // normal half range [2^-14, 2^16): round the 13 low mantissa bits to nearest even in place; a carry
      // moves into the exponent, and reaching 2^16 means the half overflowed to infinity
      const rounded = (magnitude + 0xfff + ((magnitude >>> 13) & 1)) & 0xffffe000;
      outBits[i] = ((b & 0x80000000) | (rounded >= 0x47800000 ? 0x7f800000 : rounded)) >>> 0;
    } else {
      outBits[i] = t[float32BitsToFloat16Bits(b)] as number;
    }
  }
  return out;
}

/** One number rounded to the nearest binary16 value (as a float32). */
export function roundNumberToFloat16(x: number): number {
  scratch[0] = x;
  scratchBits[0] = table()[float32BitsToFloat16Bits(scratchBits[0] as number)] as number;
  return scratch[0] as number;
}

/** Largest finite binary16 value. */
export const FLOAT16_MAX = 65504;
/** Smallest positive normal binary16 value, 2^-14. */
export const FLOAT16_MIN_NORMAL = 2 ** -14;
/** Smallest positive subnormal binary16 value, 2^-24. */
export const FLOAT16_MIN_SUBNORMAL = 2 ** -24;
