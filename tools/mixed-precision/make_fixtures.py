"""Golden binary16 conversions for @bot/mixed-precision, from numpy's float16.

Run once:  /usr/bin/python3 tools/mixed-precision/make_fixtures.py
Writes packages/mixed-precision/test/fixtures/float16.json:
- `cases`: named edge cases, float32 bits -> numpy's float16 bits;
- `halfToFloat`: SHA-256 of the float32 bytes of all 65536 half bit patterns converted by numpy;
- `boundary` / `random`: SHA-256 of the inputs and of numpy's half bits for two large float32 sets that the
  test rebuilds in JS (every half value, its float32 neighbours, and the midpoints to the next half and their
  neighbours, both signs; and 200000 xorshift32 bit patterns).
"""
import hashlib
import json
import os

import numpy as np


def f32bits(x):
    return int(np.array([x], dtype=np.float32).view(np.uint32)[0])


def to_half_bits(bits):
    a = np.array(bits, dtype=np.uint32).view(np.float32)
    with np.errstate(all="ignore"):
        return a.astype(np.float16).view(np.uint16)


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()).hexdigest()


named = {
    "+0": f32bits(0.0),
    "-0": 0x80000000,
    "1": f32bits(1.0),
    "-2": f32bits(-2.0),
    "max half 65504": f32bits(65504.0),
    "65519.99 rounds down to 65504": f32bits(65519.99),
    "largest float32 below 65520": 0x477FEFFF,
    "65520 (halfway to 2^16) overflows to inf": f32bits(65520.0),
    "-65520 overflows to -inf": f32bits(-65520.0),
    "65536": f32bits(65536.0),
    "float32 max": 0x7F7FFFFF,
    "+inf": 0x7F800000,
    "-inf": 0xFF800000,
    "quiet NaN": 0x7FC00000,
    "negative quiet NaN": 0xFFC00000,
    "NaN with high payload": 0x7FA00000,
    "NaN with payload only in the low 13 bits": 0x7F800001,
    "NaN payload 0x7fc02000": 0x7FC02000,
    "min normal half 2^-14": f32bits(2.0**-14),
    "largest float32 below 2^-14": f32bits(2.0**-14) - 1,
    "largest subnormal half 1023 * 2^-24": f32bits(1023 * 2.0**-24),
    "1023.5 * 2^-24 rounds up to min normal": f32bits(1023.5 * 2.0**-24),
    "smallest subnormal 2^-24": f32bits(2.0**-24),
    "-2^-24": f32bits(-(2.0**-24)),
    "2^-25 (halfway to 0) rounds to even 0": f32bits(2.0**-25),
    "-2^-25 rounds to -0": f32bits(-(2.0**-25)),
    "just above 2^-25 rounds to 2^-24": f32bits(2.0**-25) + 1,
    "just below 2^-25 rounds to 0": f32bits(2.0**-25) - 1,
    "1.5 * 2^-24 ties to even 2 * 2^-24": f32bits(1.5 * 2.0**-24),
    "2.5 * 2^-24 ties to even 2 * 2^-24": f32bits(2.5 * 2.0**-24),
    "3.5 * 2^-24 ties to even 4 * 2^-24": f32bits(3.5 * 2.0**-24),
    "2^-30 underflows to 0": f32bits(2.0**-30),
    "smallest float32 subnormal": 0x00000001,
    "largest float32 subnormal": 0x007FFFFF,
    "1 + 2^-11 ties to even 1": f32bits(1 + 2.0**-11),
    "1 + 3 * 2^-11 ties to even 1 + 2^-9": f32bits(1 + 3 * 2.0**-11),
    "1 + 2^-11 + 2^-23 rounds up": f32bits(1 + 2.0**-11 + 2.0**-23),
    "2047.5 rounds to even 2048": f32bits(2047.5),
    "2049 ties to even 2048": f32bits(2049.0),
    "2051 ties to even 2052": f32bits(2051.0),
    "0.1": f32bits(0.1),
    "-3.14159": f32bits(-3.14159),
    "1e-5 (subnormal half)": f32bits(1e-5),
    "6e-8": f32bits(6e-8),
}
cases = [{"name": k, "float32Bits": v, "halfBits": int(to_half_bits([v])[0])} for k, v in named.items()]

all_halves = np.arange(65536, dtype=np.uint32).astype(np.uint16)
half_to_float = all_halves.view(np.float16).astype(np.float32).view(np.uint32)

# every positive finite half, its float32 neighbours, the midpoint to the next half and the midpoint's neighbours
h = np.arange(0, 0x7C00, dtype=np.uint32).astype(np.uint16)
v = h.view(np.float16).astype(np.float32)
nxt = np.append(v[1:], np.float32(65536.0))
mid = ((v.astype(np.float64) + nxt.astype(np.float64)) / 2).astype(np.float32)
vb = v.view(np.uint32).astype(np.uint64)
mb = mid.view(np.uint32).astype(np.uint64)
below = np.where(vb > 0, vb - 1, vb)
rows = np.stack([vb, vb + 1, below, mb - 1, mb, mb + 1], axis=1).reshape(-1)
boundary = np.concatenate([rows, rows | 0x80000000]).astype(np.uint32)


def xorshift32(seed, n):
    out = np.empty(n, dtype=np.uint32)
    x = seed
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x
    return out


random_bits = xorshift32(2463534242, 200000)

fixture = {
    "generator": "tools/mixed-precision/make_fixtures.py",
    "numpy": np.__version__,
    "cases": cases,
    "halfToFloat": {"count": 65536, "float32Sha256": sha(half_to_float)},
    "boundary": {"count": int(boundary.size), "inputSha256": sha(boundary), "halfSha256": sha(to_half_bits(boundary))},
    "random": {
        "seed": 2463534242,
        "count": 200000,
        "inputSha256": sha(random_bits),
        "halfSha256": sha(to_half_bits(random_bits)),
    },
}
out = os.path.join(os.path.dirname(__file__), "../../packages/mixed-precision/test/fixtures/float16.json")
with open(out, "w") as f:
    json.dump(fixture, f, indent=1)
print("wrote", os.path.normpath(out))
for c in cases:
    print(f'{c["name"]:45s} {c["float32Bits"]:#010x} -> {c["halfBits"]:#06x}')
