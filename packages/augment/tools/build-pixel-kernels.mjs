// Writes src/pixel-kernels.wat and src/pixel-kernels-wasm.ts (the module's bytes, base64) from the template
// below. Run after changing it: `node tools/build-pixel-kernels.mjs` (needs the wabt devDependency); a test
// checks that the committed bytes match.
//
// One exported function, `run`, streams RGB pixels through a list of per-pixel operations, four pixels per
// step, and writes them out in HWC or CHW order. Every operation computes in float64 and rounds to float32
// after itself, which is what the JavaScript passes do (float64 arithmetic, a Float32Array store), so both
// paths give the same bits. Plain SIMD128 (f64x2), no relaxed SIMD.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabt from 'wabt';

/** The memory map shared with src/pixel-kernels.ts. */
export const LAYOUT = {
  /** 64 bytes: the last, partial block's input, zero-padded to four pixels. */
  scratchIn: 0,
  /** 48 bytes: the partial block's output (CHW: three rows of 16 bytes). */
  scratchOut: 64,
  /** The operation table: OP_BYTES per operation. */
  ops: 256,
  opBytes: 64,
  maxOps: 32,
  /** Where pixel buffers start. */
  data: 4096,
};

/** Operation codes; an entry is an i32 code at +0 and float64 parameters at +8, +16, ... */
export const OP = {
  /** x = clamp(f * x + offset, 0, 255) on every value: brightness (offset 0) and contrast. */
  scaleClamp: 0,
  /** x = clamp(f * x + (1 - f) * gray) per pixel (`adjust_saturation`); parameters f, 1 - f. */
  saturation: 1,
  /** sum += gray of each pixel (the float64 sum a contrast step's mean needs), in pixel order. */
  graySum: 2,
  /** x[c] = x[c] * scale[c] + offset[c]; parameters scale 0..2, offset 0..2. */
  channelAffine: 3,
};

/** torchvision's `rgb_to_grayscale` weights (src/color.ts GRAY_WEIGHTS). */
const GRAY = ['0.2989', '0.587', '0.114'];

// Lanes: the twelve float32 values of four RGB pixels arrive as v0 = r0 g0 b0 r1, v1 = g1 b1 r2 g2,
// v2 = b2 r3 g3 b3, and live as float64 pairs $r01 $g01 $b01 (pixels 0, 1) and $r23 $g23 $b23 (pixels 2, 3).
const lane = (v, k) => [0, 1, 2, 3].map((b) => (v === 'a' ? 0 : 16) + 4 * k + b);
/** i8x16.shuffle picking float32 lane ka of a then kb of b into lanes 0 and 1. */
const pick2 = (ka, kb) => [...lane('a', ka), ...lane('b', kb), ...lane('a', 0), ...lane('a', 0)].join(' ');
/** float32 lanes (a0 a1 b0 b1) of two demoted pairs. */
const join2 = [...lane('a', 0), ...lane('a', 1), ...lane('b', 0), ...lane('b', 1)].join(' ');
const promote = (a, b, ka, kb) =>
  `(f64x2.promote_low_f32x4 (i8x16.shuffle ${pick2(ka, kb)} (local.get ${a}) (local.get ${b})))`;

const PAIRS = ['$r01', '$g01', '$b01', '$r23', '$g23', '$b23'];
const round = (x) => `(local.set ${x} (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (local.get ${x}))))`;
/** JS `v < 0 ? 0 : Math.min(v, 255)`, NaN and -0 included: pmax/pmin are exactly those comparisons. */
const clamp = (e) => `(f64x2.pmin (f64x2.pmax ${e} (local.get $zero)) (local.get $max))`;
const param = (k) => `(f64x2.splat (f64.load offset=${8 * (k + 1)} (local.get $op)))`;
const gray = (r, g, b) =>
  `(f64x2.add (f64x2.add (f64x2.mul (local.get $wr) (local.get ${r})) (f64x2.mul (local.get $wg) (local.get ${g}))) (f64x2.mul (local.get $wb) (local.get ${b})))`;

const scaleClamp = `
              (local.set $p0 ${param(0)})
              (local.set $p1 ${param(1)})
${PAIRS.map((x) => `              (local.set ${x} ${clamp(`(f64x2.add (f64x2.mul (local.get $p0) (local.get ${x})) (local.get $p1))`)})\n              ${round(x)}`).join('\n')}`;

const saturation = `
              (local.set $p0 ${param(0)})
              (local.set $p1 ${param(1)})
${['01', '23']
  .map(
    (s) => `              (local.set $t (f64x2.mul (local.get $p1) ${gray(`$r${s}`, `$g${s}`, `$b${s}`)}))
${['r', 'g', 'b'].map((c) => `              (local.set $${c}${s} ${clamp(`(f64x2.add (f64x2.mul (local.get $p0) (local.get $${c}${s})) (local.get $t))`)})\n              ${round(`$${c}${s}`)}`).join('\n')}`,
  )
  .join('\n')}`;

// Pixels beyond $valid (the zero padding of a partial block) add 0, which leaves a sum that is never -0 unchanged.
const graySum = `
${['01', '23']
  .map(
    (s, half) => `              (local.set $t ${gray(`$r${s}`, `$g${s}`, `$b${s}`)})
              (local.set $sum (f64.add (local.get $sum)
                (select (f64x2.extract_lane 0 (local.get $t)) (f64.const 0) (i32.gt_u (local.get $valid) (i32.const ${2 * half})))))
              (local.set $sum (f64.add (local.get $sum)
                (select (f64x2.extract_lane 1 (local.get $t)) (f64.const 0) (i32.gt_u (local.get $valid) (i32.const ${2 * half + 1})))))`,
  )
  .join('\n')}`;

const channelAffine = `
${['r', 'g', 'b']
  .map(
    (c, k) => `              (local.set $p0 ${param(k)})
              (local.set $p1 ${param(k + 3)})
${['01', '23'].map((s) => `              (local.set $${c}${s} (f64x2.add (f64x2.mul (local.get $${c}${s}) (local.get $p0)) (local.get $p1)))\n              ${round(`$${c}${s}`)}`).join('\n')}`,
  )
  .join('\n')}`;

const load = `
          (if (local.get $srcU8)
            (then
              (local.set $v (v128.load (local.get $in)))
              (if (local.get $mirrorWidth)
                (then (local.set $v (i8x16.shuffle 9 10 11 6 7 8 3 4 5 0 1 2 12 13 14 15 (local.get $v) (local.get $v)))))
              (local.set $v0 (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (local.get $v)))))
              (local.set $v1 (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (i16x8.extend_low_i8x16_u (local.get $v)))))
              (local.set $v2 (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_high_i8x16_u (local.get $v))))))
            (else
              (local.set $v0 (v128.load (local.get $in)))
              (local.set $v1 (v128.load offset=16 (local.get $in)))
              (local.set $v2 (v128.load offset=32 (local.get $in)))))
          (local.set $r01 ${promote('$v0', '$v0', 0, 3)})
          (local.set $g01 ${promote('$v0', '$v1', 1, 0)})
          (local.set $b01 ${promote('$v0', '$v1', 2, 1)})
          (local.set $r23 ${promote('$v1', '$v2', 2, 1)})
          (local.set $g23 ${promote('$v1', '$v2', 3, 2)})
          (local.set $b23 ${promote('$v2', '$v2', 0, 3)})`;

const four = (c) =>
  `(i8x16.shuffle ${join2} (f32x4.demote_f64x2_zero (local.get $${c}01)) (f32x4.demote_f64x2_zero (local.get $${c}23)))`;
const shuffle = (pattern, a, b) =>
  `(i8x16.shuffle ${pattern.flatMap(([v, k]) => lane(v, k)).join(' ')} ${a} ${b})`;

// HWC: v0 = r0 g0 b0 r1 from (r0 g0 r1 g1) and b0; v1 = g1 b1 r2 g2 from (g1 b1 g2 b2) and r2;
// v2 = b2 r3 g3 b3 from (b2 r3 b3 _) and g3.
const store = `
          (local.set $v0 ${four('r')})
          (local.set $v1 ${four('g')})
          (local.set $v2 ${four('b')})
          (if (local.get $chw)
            (then
              (v128.store (local.get $out) (local.get $v0))
              (v128.store (i32.add (local.get $out) (local.get $stride)) (local.get $v1))
              (v128.store (i32.add (local.get $out) (i32.shl (local.get $stride) (i32.const 1))) (local.get $v2)))
            (else
              (local.set $t ${shuffle(
                [
                  ['a', 0],
                  ['b', 0],
                  ['a', 1],
                  ['b', 1],
                ],
                '(local.get $v0)',
                '(local.get $v1)',
              )})
              (v128.store (local.get $out) ${shuffle(
                [
                  ['a', 0],
                  ['a', 1],
                  ['b', 0],
                  ['a', 2],
                ],
                '(local.get $t)',
                '(local.get $v2)',
              )})
              (local.set $t ${shuffle(
                [
                  ['a', 1],
                  ['b', 1],
                  ['a', 2],
                  ['b', 2],
                ],
                '(local.get $v1)',
                '(local.get $v2)',
              )})
              (v128.store offset=16 (local.get $out) ${shuffle(
                [
                  ['a', 0],
                  ['a', 1],
                  ['b', 2],
                  ['a', 2],
                ],
                '(local.get $t)',
                '(local.get $v0)',
              )})
              (local.set $t ${shuffle(
                [
                  ['a', 2],
                  ['b', 3],
                  ['a', 3],
                  ['a', 3],
                ],
                '(local.get $v2)',
                '(local.get $v0)',
              )})
              (v128.store offset=32 (local.get $out) ${shuffle(
                [
                  ['a', 0],
                  ['a', 1],
                  ['b', 3],
                  ['a', 2],
                ],
                '(local.get $t)',
                '(local.get $v1)',
              )})))`;

// PIL's bilinear resampling of 8-bit RGB (src/resample.ts with `quantize`): 22-bit fixed-point weights, sums in
// int32 (exact: at most 255 x 2^22 < 2^31, as in PIL), rounded half up, shifted, clipped to [0, 255] after each
// pass. A tap table holds, per output pixel, the first input index, the tap count and maxTaps int32 weights.
const quantize = (acc) =>
  `(i32x4.min_s (i32x4.max_s (i32x4.shr_s (i32x4.add ${acc} (local.get $half)) (i32.const 22)) (local.get $zero)) (local.get $max))`;
const widen = ['low', 'high'].flatMap((h) =>
  ['low', 'high'].map((q) => `(i32x4.extend_${q}_i16x8_u (i16x8.extend_${h}_i8x16_u (local.get $v)))`),
);
const resample = `
  ;; Horizontal pass over rows of RGB bytes: rows x inWidth pixels at src to rows x outWidth pixels at dst.
  ;; Reads and writes one byte past a pixel (dst needs 1 byte of slack).
  (func (export "resampleRows") (param $src i32) (param $dst i32) (param $rows i32) (param $inWidth i32)
    (param $outWidth i32) (param $taps i32) (param $maxTaps i32)
    (local $y i32) (local $o i32) (local $tp i32) (local $wp i32) (local $px i32) (local $k i32) (local $count i32)
    (local $entry i32) (local $rowIn i32) (local $acc v128) (local $half v128) (local $zero v128) (local $max v128)
    (local.set $half (i32x4.splat (i32.const 2097152)))
    (local.set $max (i32x4.splat (i32.const 255)))
    (local.set $entry (i32.shl (i32.add (local.get $maxTaps) (i32.const 2)) (i32.const 2)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $rows)))
        (local.set $rowIn (i32.add (local.get $src) (i32.mul (i32.mul (local.get $y) (local.get $inWidth)) (i32.const 3))))
        (local.set $tp (local.get $taps))
        (local.set $o (i32.const 0))
        (block $outDone
          (loop $out
            (br_if $outDone (i32.ge_u (local.get $o) (local.get $outWidth)))
            (local.set $px (i32.add (local.get $rowIn) (i32.mul (i32.load (local.get $tp)) (i32.const 3))))
            (local.set $count (i32.load offset=4 (local.get $tp)))
            (local.set $wp (i32.add (local.get $tp) (i32.const 8)))
            (local.set $acc (local.get $zero))
            (local.set $k (i32.const 0))
            (block $tapsDone
              (loop $tap
                (br_if $tapsDone (i32.ge_u (local.get $k) (local.get $count)))
                (local.set $acc (i32x4.add (local.get $acc)
                  (i32x4.mul (i32x4.splat (i32.load (local.get $wp)))
                    (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $px)))))))
                (local.set $px (i32.add (local.get $px) (i32.const 3)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 4)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $tap)))
            (local.set $acc ${quantize('(local.get $acc)')})
            (v128.store32_lane 0 (local.get $dst)
              (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_s (local.get $acc) (local.get $acc)) (local.get $zero)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 3)))
            (local.set $tp (i32.add (local.get $tp) (local.get $entry)))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $out)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $row))))

  ;; Vertical pass over rows of stride bytes: each output row blends input rows, 16 bytes at a time. Reads
  ;; and writes up to 15 bytes past a row (src and dst need 16 bytes of slack).
  (func (export "resampleColumns") (param $src i32) (param $dst i32) (param $stride i32) (param $outHeight i32)
    (param $taps i32) (param $maxTaps i32)
    (local $o i32) (local $i i32) (local $k i32) (local $count i32) (local $tp i32) (local $wp i32) (local $at i32)
    (local $rowIn i32) (local $entry i32) (local $w v128) (local $v v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $half v128) (local $zero v128) (local $max v128)
    (local.set $half (i32x4.splat (i32.const 2097152)))
    (local.set $max (i32x4.splat (i32.const 255)))
    (local.set $entry (i32.shl (i32.add (local.get $maxTaps) (i32.const 2)) (i32.const 2)))
    (local.set $tp (local.get $taps))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $o) (local.get $outHeight)))
        (local.set $rowIn (i32.add (local.get $src) (i32.mul (i32.load (local.get $tp)) (local.get $stride))))
        (local.set $count (i32.load offset=4 (local.get $tp)))
        (local.set $i (i32.const 0))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_u (local.get $i) (local.get $stride)))
            (local.set $a0 (local.get $zero))
            (local.set $a1 (local.get $zero))
            (local.set $a2 (local.get $zero))
            (local.set $a3 (local.get $zero))
            (local.set $at (i32.add (local.get $rowIn) (local.get $i)))
            (local.set $wp (i32.add (local.get $tp) (i32.const 8)))
            (local.set $k (i32.const 0))
            (block $tapsDone
              (loop $tap
                (br_if $tapsDone (i32.ge_u (local.get $k) (local.get $count)))
                (local.set $w (i32x4.splat (i32.load (local.get $wp))))
                (local.set $v (v128.load (local.get $at)))
${widen.map((e, q) => `                (local.set $a${q} (i32x4.add (local.get $a${q}) (i32x4.mul (local.get $w) ${e})))`).join('\n')}
                (local.set $at (i32.add (local.get $at) (local.get $stride)))
                (local.set $wp (i32.add (local.get $wp) (i32.const 4)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $tap)))
            (v128.store (i32.add (local.get $dst) (local.get $i))
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s ${quantize('(local.get $a0)')} ${quantize('(local.get $a1)')})
                (i16x8.narrow_i32x4_s ${quantize('(local.get $a2)')} ${quantize('(local.get $a3)')})))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $col)))
        (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
        (local.set $tp (i32.add (local.get $tp) (local.get $entry)))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $row))))`;

export const wat = `;; Generated by tools/build-pixel-kernels.mjs: do not edit.
(module
  (memory (export "memory") 1)
  ;; Streams npix RGB pixels from src (float32 HWC, or uint8 HWC when srcU8; a uint8 source is read mirrored
  ;; left to right when mirrorWidth, its width, is not 0, which must then divide by 4) through the operation table at
  ;; ops (nops entries of ${LAYOUT.opBytes} bytes) into dst (float32 HWC, or CHW planes of npix values when chw;
  ;; HWC may be in place). Returns the float64 sum the graySum operations accumulated. Reads up to 16 bytes
  ;; past a uint8 source's block, so a uint8 source needs 4 bytes of slack after it.
  (func (export "run") (param $src i32) (param $srcU8 i32) (param $mirrorWidth i32) (param $dst i32) (param $chw i32) (param $npix i32)
    (param $ops i32) (param $nops i32) (result f64)
    (local $p i32) (local $valid i32) (local $in i32) (local $out i32) (local $stride i32) (local $inBytes i32)
    (local $op i32) (local $opsEnd i32) (local $c i32) (local $x i32) (local $sum f64)
    (local $v v128) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $t v128)
    (local $r01 v128) (local $g01 v128) (local $b01 v128) (local $r23 v128) (local $g23 v128) (local $b23 v128)
    (local $p0 v128) (local $p1 v128) (local $zero v128) (local $max v128)
    (local $wr v128) (local $wg v128) (local $wb v128)
    (local.set $zero (f64x2.splat (f64.const 0)))
    (local.set $max (f64x2.splat (f64.const 255)))
    (local.set $wr (f64x2.splat (f64.const ${GRAY[0]})))
    (local.set $wg (f64x2.splat (f64.const ${GRAY[1]})))
    (local.set $wb (f64x2.splat (f64.const ${GRAY[2]})))
    (local.set $opsEnd (i32.add (local.get $ops) (i32.mul (local.get $nops) (i32.const ${LAYOUT.opBytes}))))
    (local.set $inBytes (select (i32.const 3) (i32.const 12) (local.get $srcU8)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_s (local.get $p) (local.get $npix)))
        (local.set $valid (i32.sub (local.get $npix) (local.get $p)))
        (if (i32.ge_u (local.get $valid) (i32.const 4))
          (then
            (local.set $valid (i32.const 4))
            (local.set $in (i32.add (local.get $src) (i32.mul (local.get $p) (local.get $inBytes))))
            (if (local.get $mirrorWidth)
              (then
                ;; the four pixels that end at the mirror image of pixel p, in its row
                (local.set $x (i32.rem_u (local.get $p) (local.get $mirrorWidth)))
                (local.set $in (i32.add (local.get $src) (i32.mul (i32.const 3)
                  (i32.sub (i32.add (i32.sub (local.get $p) (local.get $x)) (local.get $mirrorWidth))
                    (i32.add (local.get $x) (i32.const 4))))))))
            (local.set $out (i32.add (local.get $dst)
              (i32.mul (local.get $p) (select (i32.const 4) (i32.const 12) (local.get $chw)))))
            (local.set $stride (i32.shl (local.get $npix) (i32.const 2))))
          (else
            (memory.fill (i32.const ${LAYOUT.scratchIn}) (i32.const 0) (i32.const 64))
            (memory.copy (i32.const ${LAYOUT.scratchIn})
              (i32.add (local.get $src) (i32.mul (local.get $p) (local.get $inBytes)))
              (i32.mul (local.get $valid) (local.get $inBytes)))
            (local.set $in (i32.const ${LAYOUT.scratchIn}))
            (local.set $out (i32.const ${LAYOUT.scratchOut}))
            (local.set $stride (i32.const 16))))
${load}
        (local.set $op (local.get $ops))
        (block $opsDone
          (loop $nextOp
            (br_if $opsDone (i32.ge_u (local.get $op) (local.get $opsEnd)))
            (block $next
              (block $affine
                (block $sum
                  (block $sat
                    (block $scale
                      (br_table $scale $sat $sum $affine $next (i32.load (local.get $op))))
${scaleClamp}
                    (br $next))
${saturation}
                  (br $next))
${graySum}
                (br $next))
${channelAffine})
            (local.set $op (i32.add (local.get $op) (i32.const ${LAYOUT.opBytes})))
            (br $nextOp)))
${store}
        (if (i32.lt_u (local.get $valid) (i32.const 4))
          (then
            (if (local.get $chw)
              (then
                (local.set $c (i32.const 0))
                (loop $channel
                  (memory.copy
                    (i32.add (i32.add (local.get $dst) (i32.mul (local.get $c) (i32.shl (local.get $npix) (i32.const 2))))
                      (i32.shl (local.get $p) (i32.const 2)))
                    (i32.add (i32.const ${LAYOUT.scratchOut}) (i32.shl (local.get $c) (i32.const 4)))
                    (i32.shl (local.get $valid) (i32.const 2)))
                  (local.set $c (i32.add (local.get $c) (i32.const 1)))
                  (br_if $channel (i32.lt_u (local.get $c) (i32.const 3)))))
              (else
                (memory.copy (i32.add (local.get $dst) (i32.mul (local.get $p) (i32.const 12)))
                  (i32.const ${LAYOUT.scratchOut}) (i32.mul (local.get $valid) (i32.const 12)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $blocks)))
    (local.get $sum))
${resample}
)
`;

/** The module's bytes, assembled by wabt from `wat`. */
export async function compile() {
  const tools = await wabt();
  const parsed = tools.parseWat('pixel-kernels.wat', wat, { simd: true, bulk_memory: true });
  const { buffer } = parsed.toBinary({});
  parsed.destroy();
  return Buffer.from(buffer);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const bytes = await compile();
  writeFileSync(join(src, 'pixel-kernels.wat'), wat);
  writeFileSync(
    join(src, 'pixel-kernels-wasm.ts'),
    `// Generated by tools/build-pixel-kernels.mjs from pixel-kernels.wat: do not edit.\nexport const pixelKernelsWasm =\n  '${bytes.toString('base64')}';\n`,
  );
  console.log(`wrote ${bytes.length} bytes of wasm`);
}
