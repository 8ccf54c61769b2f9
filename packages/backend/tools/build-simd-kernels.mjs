// Writes src/simd-kernels.wat and src/simd-kernels-wasm.ts (the module's bytes, base64), and the GEMM
// modules src/gemm-relaxed.wat, src/gemm-simd.wat and src/gemm-kernels-wasm.ts, from the templates
// below. Run after changing them: `node tools/build-simd-kernels.mjs` (needs the wabt devDependency);
// a test checks that the committed bytes match.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabt from 'wabt';

/** The binary ops over [rows, cols] x [cols] (cols a multiple of 4): name -> f32x4 expression of $f (full) and $s (small). */
const channelOps = {
  mulChannels: '(f32x4.mul (local.get $f) (local.get $s))',
  addChannels: '(f32x4.add (local.get $f) (local.get $s))',
  subChannels: '(f32x4.sub (local.get $f) (local.get $s))',
  subFromChannels: '(f32x4.sub (local.get $s) (local.get $f))',
  divChannels: '(f32x4.div (local.get $f) (local.get $s))',
  divIntoChannels: '(f32x4.div (local.get $s) (local.get $f))',
};

const channelOp = (name, expression) => `
  ;; out[r, c] = op(full[r, c], small[c]) for r < rows, c < cols (byte pointers; cols % 4 == 0).
  (func (export "${name}") (param $full i32) (param $small i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $end i32) (local $q i32) (local $rowEnd i32) (local $f v128) (local $s v128)
    (local.set $end (i32.add (local.get $full) (i32.shl (i32.mul (local.get $rows) (local.get $cols)) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $full) (local.get $end)))
        (local.set $q (local.get $small))
        (local.set $rowEnd (i32.add (local.get $full) (i32.shl (local.get $cols) (i32.const 2))))
        (block $rowDone
          (loop $col
            (br_if $rowDone (i32.ge_u (local.get $full) (local.get $rowEnd)))
            (local.set $f (v128.load align=4 (local.get $full)))
            (local.set $s (v128.load align=4 (local.get $q)))
            (v128.store align=4 (local.get $out) ${expression})
            (local.set $full (i32.add (local.get $full) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (br $col)))
        (br $row))))`;

const sumRows = `
  ;; acc[c] = sum over r < rows of src[r, c], accumulated in float64 (acc: cols f64; cols % 4 == 0).
  (func (export "sumRows") (param $src i32) (param $rows i32) (param $cols i32) (param $acc i32)
    (local $end i32) (local $q i32) (local $rowEnd i32) (local $v v128)
    (local.set $q (local.get $acc))
    (local.set $end (i32.add (local.get $acc) (i32.shl (local.get $cols) (i32.const 3))))
    (block $zeroed
      (loop $zero
        (br_if $zeroed (i32.ge_u (local.get $q) (local.get $end)))
        (v128.store align=8 (local.get $q) (v128.const i64x2 0 0))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (br $zero)))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.mul (local.get $rows) (local.get $cols)) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $q (local.get $acc))
        (local.set $rowEnd (i32.add (local.get $src) (i32.shl (local.get $cols) (i32.const 2))))
        (block $rowDone
          (loop $col
            (br_if $rowDone (i32.ge_u (local.get $src) (local.get $rowEnd)))
            (local.set $v (v128.load align=4 (local.get $src)))
            (v128.store align=8 (local.get $q)
              (f64x2.add (v128.load align=8 (local.get $q)) (f64x2.promote_low_f32x4 (local.get $v))))
            (v128.store offset=16 align=8 (local.get $q)
              (f64x2.add (v128.load offset=16 align=8 (local.get $q))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (br $col)))
        (br $row))))`;

const maxPoolGradWindow = `
  ;; One pooling window's MaxPoolGrad, 4 channels at a time: finds each channel's first maximum
  ;; (strictly greater wins, row-major: the cpu backend's rule) over rows x cols positions starting at
  ;; byte offset $first of x, and adds dy's value (at byte address $dy) to dx at the same offset.
  (func (export "maxPoolGradWindow")
    (param $x i32) (param $dx i32) (param $first i32) (param $rows i32) (param $cols i32)
    (param $rowStride i32) (param $colStride i32) (param $dy i32) (param $channelBytes i32)
    (local $c i32) (local $r i32) (local $q i32) (local $p i32) (local $rowStart i32) (local $at i32) (local $a i32)
    (local $best v128) (local $where v128) (local $v v128) (local $larger v128) (local $g v128)
    (block $channelsDone
      (loop $channel
        (br_if $channelsDone (i32.ge_u (local.get $c) (local.get $channelBytes)))
        (local.set $best (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $where (v128.const i32x4 -1 -1 -1 -1))
        (local.set $rowStart (i32.add (local.get $first) (local.get $c)))
        (local.set $r (i32.const 0))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $p (local.get $rowStart))
            (local.set $q (i32.const 0))
            (block $colsDone
              (loop $col
                (br_if $colsDone (i32.ge_u (local.get $q) (local.get $cols)))
                (local.set $v (v128.load align=4 (i32.add (local.get $x) (local.get $p))))
                (local.set $larger (f32x4.gt (local.get $v) (local.get $best)))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $larger)))
                (local.set $where (v128.bitselect (i32x4.splat (local.get $p)) (local.get $where) (local.get $larger)))
                (local.set $p (i32.add (local.get $p) (local.get $colStride)))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $col)))
            (local.set $rowStart (i32.add (local.get $rowStart) (local.get $rowStride)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $row)))
        (local.set $g (v128.load align=4 (i32.add (local.get $dy) (local.get $c))))
        (local.set $at (i32x4.extract_lane 0 (local.get $where)))
        (if (i32.ne (local.get $at) (i32.const -1))
          (then
            (local.set $a (i32.add (local.get $dx) (i32.add (local.get $at) (i32.const 0))))
            (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32x4.extract_lane 0 (local.get $g))))))
        (local.set $at (i32x4.extract_lane 1 (local.get $where)))
        (if (i32.ne (local.get $at) (i32.const -1))
          (then
            (local.set $a (i32.add (local.get $dx) (i32.add (local.get $at) (i32.const 4))))
            (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32x4.extract_lane 1 (local.get $g))))))
        (local.set $at (i32x4.extract_lane 2 (local.get $where)))
        (if (i32.ne (local.get $at) (i32.const -1))
          (then
            (local.set $a (i32.add (local.get $dx) (i32.add (local.get $at) (i32.const 8))))
            (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32x4.extract_lane 2 (local.get $g))))))
        (local.set $at (i32x4.extract_lane 3 (local.get $where)))
        (if (i32.ne (local.get $at) (i32.const -1))
          (then
            (local.set $a (i32.add (local.get $dx) (i32.add (local.get $at) (i32.const 12))))
            (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32x4.extract_lane 3 (local.get $g))))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $channel))))`;

const transpose2d = `
  ;; dst [cols, rows] = the transpose of src [rows, cols] (rows and cols multiples of 4), 4x4 blocks in
  ;; registers: four rows of src in, four rows of dst out.
  (func (export "transpose2d") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $r i32) (local $c i32) (local $p i32) (local $q i32) (local $in i32) (local $out i32)
    (local $a v128) (local $b v128) (local $e v128) (local $f v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $in (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $out (i32.shl (local.get $rows) (i32.const 2)))
    (block $rowsDone
      (loop $row
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $p (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $in))))
        (local.set $q (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2))))
        (local.set $c (i32.const 0))
        (block $colsDone
          (loop $col
            (br_if $colsDone (i32.ge_u (local.get $c) (local.get $cols)))
            (local.set $a (v128.load align=4 (local.get $p)))
            (local.set $b (v128.load align=4 (i32.add (local.get $p) (local.get $in))))
            (local.set $e (v128.load align=4 (i32.add (local.get $p) (i32.shl (local.get $in) (i32.const 1)))))
            (local.set $f (v128.load align=4 (i32.add (local.get $p) (i32.mul (local.get $in) (i32.const 3)))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $e) (local.get $f)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $e) (local.get $f)))
            (v128.store align=4 (local.get $q)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $q) (local.get $out))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $q) (i32.shl (local.get $out) (i32.const 1)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store align=4 (i32.add (local.get $q) (i32.mul (local.get $out) (i32.const 3)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.shl (local.get $out) (i32.const 2))))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $col)))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $row))))`;

export const wat = `;; Generated by tools/build-simd-kernels.mjs. SIMD kernels that run on the tfjs wasm backend's own
;; memory (imported): the per-channel passes of a batch norm, the max-pool gradient, 2-D transposes.
(module
  (import "env" "memory" (memory 0 65536))
${Object.entries(channelOps)
  .map(([name, expression]) => channelOp(name, expression))
  .join('\n')}
${sumRows}
${maxPoolGradWindow}
${transpose2d}
)
`;

/**
 * The GEMM microkernels: C [m, n] (+)= A [m, kc] x B [kc, n], a 4 x 8 register tile (8 accumulators of
 * f32x4) over B packed into 8-column panels; A's rows are read in place, one lane-splat load per row and
 * k. Two flavours from one template: `relaxed` multiply-adds with f32x4.relaxed_madd (a hardware FMA
 * where the CPU has one: one rounding), `simd` with f32x4.mul then f32x4.add (two roundings), in the
 * same order. A module using relaxed SIMD fails to compile where the runtime lacks it, so each flavour
 * is its own module.
 */
const madd = {
  relaxed: (a, b, c) => `(f32x4.relaxed_madd ${a} ${b} ${c})`,
  simd: (a, b, c) => `(f32x4.add (f32x4.mul ${a} ${b}) ${c})`,
};

const halves = [0, 1];
/** Rows of the register tile (x 8 columns): measured below in tools/ and bench:fma. */
export const GEMM_ROWS = 4;

const gemmWat = (flavour, mr = GEMM_ROWS) => {
  const rows = Array.from({ length: mr }, (_, r) => r);
  const fma = madd[flavour];
  const acc = (r, h) => `$c${r}${h}`;
  const kStep = rows
    .map(
      (r) => `
              (local.set $s (v128.load32_splat (local.get $p${r})))
${halves.map((h) => `              (local.set ${acc(r, h)} ${fma('(local.get $s)', `(local.get $b${h})`, `(local.get ${acc(r, h)})`)})`).join('\n')}`,
    )
    .join('');
  const zero = rows
    .flatMap((r) => halves.map((h) => `(local.set ${acc(r, h)} (v128.const i64x2 0 0))`))
    .join(' ');
  const fullStore = rows
    .flatMap((r) =>
      halves.map((h) => {
        const at = `(i32.add (local.get $ci) (i32.mul (local.get $ldc) (i32.const ${r})))`;
        return `                  (v128.store offset=${16 * h} align=4 ${at}
                    (select (result v128) (f32x4.add (v128.load offset=${16 * h} align=4 ${at}) (local.get ${acc(r, h)})) (local.get ${acc(r, h)}) (local.get $accumulate)))`;
      }),
    )
    .join('\n');
  const tmpStore = rows
    .flatMap((r) =>
      halves.map(
        (h) => `(v128.store offset=${32 * r + 16 * h} align=4 (local.get $tmp) (local.get ${acc(r, h)}))`,
      ),
    )
    .join('\n                  ');
  return `;; Generated by tools/build-simd-kernels.mjs. GEMM microkernels (${flavour === 'relaxed' ? 'relaxed SIMD: f32x4.relaxed_madd' : 'plain SIMD: f32x4.mul + f32x4.add'}) that run on the
;; tfjs wasm backend's own memory (imported). Byte pointers and byte strides throughout.
(module
  (import "env" "memory" (memory 0 65536))

  ;; dst = B [kc, n] (row stride $ldb bytes) packed into ceil(n / 8) panels of kc x 8 floats, the
  ;; last one zero-padded: panel j holds B[k, 8j .. 8j + 8) for k < kc, one row of 32 bytes after another.
  (func (export "packB") (param $b i32) (param $ldb i32) (param $kc i32) (param $n i32) (param $dst i32)
    (local $j i32) (local $k i32) (local $src i32) (local $cols i32) (local $col i32)
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $cols (i32.sub (local.get $n) (local.get $j)))
        (local.set $src (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $k (i32.const 0))
        (if (i32.ge_u (local.get $cols) (i32.const 8))
          (then
            (block $fullDone
              (loop $full
                (br_if $fullDone (i32.ge_u (local.get $k) (local.get $kc)))
                (v128.store align=4 (local.get $dst) (v128.load align=4 (local.get $src)))
                (v128.store offset=16 align=4 (local.get $dst) (v128.load offset=16 align=4 (local.get $src)))
                (local.set $src (i32.add (local.get $src) (local.get $ldb)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $full))))
          (else
            (block $edgeDone
              (loop $edge
                (br_if $edgeDone (i32.ge_u (local.get $k) (local.get $kc)))
                (v128.store align=4 (local.get $dst) (v128.const i64x2 0 0))
                (v128.store offset=16 align=4 (local.get $dst) (v128.const i64x2 0 0))
                (local.set $col (i32.const 0))
                (block $colsDone
                  (loop $cell
                    (br_if $colsDone (i32.ge_u (local.get $col) (local.get $cols)))
                    (f32.store (i32.add (local.get $dst) (i32.shl (local.get $col) (i32.const 2)))
                      (f32.load (i32.add (local.get $src) (i32.shl (local.get $col) (i32.const 2)))))
                    (local.set $col (i32.add (local.get $col) (i32.const 1)))
                    (br $cell)))
                (local.set $src (i32.add (local.get $src) (local.get $ldb)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $edge)))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $panel))))

  ;; C [m, n] = A [m, kc] x B (or C += ..., when $accumulate is 1), B packed by packB (kc >= 1). A's
  ;; rows are $lda bytes apart, C's $ldc. Tiles of 4 rows x 8 columns, panel by panel (the panel, kc x
  ;; 32 bytes, stays in L1 while every row block of A streams past it); the k loop keeps the 8
  ;; accumulators in registers. Edge tiles (fewer rows or columns) compute a whole tile, reading A's last
  ;; row again for the missing rows, and write their valid part through the scratch $tmp (32 bytes a row).
  (func (export "gemm")
    (param $a i32) (param $lda i32) (param $pb0 i32) (param $kc i32) (param $c i32) (param $ldc i32)
    (param $m i32) (param $n i32) (param $accumulate i32) (param $tmp i32)
    (local $j i32) (local $i i32) (local $cols i32) (local $tileRows i32) (local $ci i32) (local $r i32) (local $col i32)
    (local $pb i32) ${rows.map((r) => `(local $p${r} i32)`).join(' ')} (local $end i32) (local $at i32)
    (local $s v128) (local $b0 v128) (local $b1 v128)
    ${rows.flatMap((r) => halves.map((h) => `(local ${acc(r, h)} v128)`)).join(' ')}
    (local $v f32)
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $cols (i32.sub (local.get $n) (local.get $j)))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rowBlock
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $tileRows (i32.sub (local.get $m) (local.get $i)))
            (local.set $p0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $lda))))
${rows
  .slice(1)
  .map(
    (
      r,
    ) => `            (local.set $p${r} (select (i32.add (local.get $p${r - 1}) (local.get $lda)) (local.get $p${r - 1})
              (i32.gt_u (local.get $tileRows) (i32.const ${r}))))`,
  )
  .join('\n')}
            (local.set $end (i32.add (local.get $p0) (i32.shl (local.get $kc) (i32.const 2))))
            (local.set $pb (local.get $pb0))
            ${zero}
            (loop $k${kStep.replace(/\(local.set \$s/, '(local.set $b0 (v128.load align=4 (local.get $pb)))\n              (local.set $b1 (v128.load offset=16 align=4 (local.get $pb)))\n              (local.set $s')}
${rows.map((r) => `              (local.set $p${r} (i32.add (local.get $p${r}) (i32.const 4)))`).join('\n')}
              (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
              (br_if $k (i32.lt_u (local.get $p0) (local.get $end))))
            (local.set $ci (i32.add (local.get $c)
              (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 2)))))
            (if (i32.and (i32.ge_u (local.get $tileRows) (i32.const ${mr})) (i32.ge_u (local.get $cols) (i32.const 8)))
              (then
${fullStore})
              (else
                  ${tmpStore}
                (local.set $r (i32.const 0))
                (block $edgeRowsDone
                  (loop $edgeRow
                    (br_if $edgeRowsDone (i32.or (i32.ge_u (local.get $r) (local.get $tileRows)) (i32.ge_u (local.get $r) (i32.const ${mr}))))
                    (local.set $col (i32.const 0))
                    (block $edgeColsDone
                      (loop $edgeCol
                        (br_if $edgeColsDone (i32.or (i32.ge_u (local.get $col) (local.get $cols)) (i32.ge_u (local.get $col) (i32.const 8))))
                        (local.set $at (i32.add (local.get $ci)
                          (i32.add (i32.mul (local.get $r) (local.get $ldc)) (i32.shl (local.get $col) (i32.const 2)))))
                        (local.set $v (f32.load (i32.add (local.get $tmp)
                          (i32.add (i32.shl (local.get $r) (i32.const 5)) (i32.shl (local.get $col) (i32.const 2))))))
                        (f32.store (local.get $at)
                          (select (f32.add (f32.load (local.get $at)) (local.get $v)) (local.get $v) (local.get $accumulate)))
                        (local.set $col (i32.add (local.get $col) (i32.const 1)))
                        (br $edgeCol)))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $edgeRow)))))
            (local.set $i (i32.add (local.get $i) (i32.const ${mr})))
            (br $rowBlock)))
        (local.set $pb0 (i32.add (local.get $pb0) (i32.shl (local.get $kc) (i32.const 5))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $panel))))
)
`;
};

/** The GEMM module of one flavour ('relaxed' or 'simd'): its text and its bytes. */
export async function compileGemm(flavour, mr = GEMM_ROWS) {
  const text = gemmWat(flavour, mr);
  const bytes = await assemble(`gemm-${flavour}.wat`, text, {
    simd: true,
    relaxed_simd: flavour === 'relaxed',
  });
  return { wat: text, bytes };
}

/** The bytes of a module's text, assembled by wabt with the given features. */
async function assemble(name, text, features) {
  const tools = await wabt();
  const parsed = tools.parseWat(name, text, features);
  const { buffer } = parsed.toBinary({});
  parsed.destroy();
  return Buffer.from(buffer);
}

export function compile() {
  return assemble('simd-kernels.wat', wat, { simd: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const bytes = await compile();
  writeFileSync(join(src, 'simd-kernels.wat'), wat);
  writeFileSync(
    join(src, 'simd-kernels-wasm.ts'),
    `// Generated by tools/build-simd-kernels.mjs from simd-kernels.wat: do not edit.\nexport const simdKernelsWasm =\n  '${bytes.toString('base64')}';\n`,
  );
  console.log(`wrote ${bytes.length} bytes of wasm`);
  const relaxed = await compileGemm('relaxed');
  const plain = await compileGemm('simd');
  writeFileSync(join(src, 'gemm-relaxed.wat'), relaxed.wat);
  writeFileSync(join(src, 'gemm-simd.wat'), plain.wat);
  writeFileSync(
    join(src, 'gemm-kernels-wasm.ts'),
    `// Generated by tools/build-simd-kernels.mjs from gemm-relaxed.wat and gemm-simd.wat: do not edit.\n/** The GEMM module with f32x4.relaxed_madd (compiles only where the runtime has relaxed SIMD). */\nexport const gemmRelaxedWasm =\n  '${relaxed.bytes.toString('base64')}';\n/** The same GEMM with f32x4.mul + f32x4.add (plain SIMD). */\nexport const gemmSimdWasm =\n  '${plain.bytes.toString('base64')}';\n`,
  );
  console.log(`wrote ${relaxed.bytes.length} + ${plain.bytes.length} bytes of GEMM wasm`);
}
