// The source of the WebAssembly kernels for 8-bit (blockwise quantized)
// momentum state, as a generator of WAT text; kernelsWat.mjs adds them to the
// kernel module. They mirror `applyQuantized` and `updateNormQuantized` of
// src/backends/js/CpuBackend.ts operation for operation: float32 loads are promoted to
// float64, everything is computed in float64 in the same order, and a float32
// parameter is rounded once when stored. So they are bit-identical to the JS
// loops (WebAssembly float arithmetic is IEEE round-to-nearest, never fused).
//
// Exports, with byte addresses into the one imported memory:
//   update_q8_T(w, g, q, s, n, book, scratch, gs, wd, mu, a, cb, cd, step)
//       the fused update of one 8-bit layer of n elements, in place: q its
//       codes (one byte each), s its absmax (one f32 per 256-element block);
//       under plain momentum (cb 1, cd 0) it updates w by step·b alone, as
//       applyQuantized does (u = b, up to the sign of a zero)
//   unorm_q8_T(w, g, q, s, n, book, gs, wd, mu, a, cb, cd) -> Σu² (f64, in order)
// `book` is the code book laid out as BOOK below; `scratch` holds 512 f64
// (two blocks of new momentum before they are requantized: each full block's
// first pass runs interleaved with the requantization of the block before).
// The module also gets seven v128 globals (see `splats`), one set per instance.

/** Elements per absmax block. */
const BLOCK = 256;
/**
 * Byte offsets in the code book block: the 256 codes as f64 (exactly the f32
 * codes promoted, so one f64 load replaces a load and a promotion), 256 f64
 * thresholds, the 2^15-byte guess table, the zero code (i32). build-wasm.mjs
 * writes it into the generated module, where src/wasm/WasmCodeBook.ts reads it.
 */
export const BOOK = { codes: 0, thresholds: 2048, guess: 4096, zeroCode: 4096 + 32768, bytes: 4096 + 32768 + 4 };
/** The guess table is indexed by the top 15 bits of a float32 pattern. */
const GUESS_SHIFT = 32 - 15;

const TYPES = {
  f32: { t: 'f32', size: 4 },
  f64: { t: 'f64', size: 8 },
};

/** A parameter or gradient element at `ptr`, as f64. */
const load = (T, ptr) => (T.t === 'f32' ? `(f64.promote_f32 (f32.load (local.get ${ptr})))` : `(f64.load (local.get ${ptr}))`);
/** Stores the f64 `x` at `ptr`, rounded once for float32. */
const store = (T, ptr, x) => (T.t === 'f32' ? `(f32.store (local.get ${ptr}) (f32.demote_f64 ${x}))` : `(f64.store (local.get ${ptr}) ${x})`);
/** Two elements at `ptr` as an f64x2 (float32 promoted, exactly as f64.promote_f32). */
const load2 = (T, ptr, off = 0) => (T.t === 'f32' ? `(f64x2.promote_low_f32x4 (v128.load64_zero offset=${off} (local.get ${ptr})))` : `(v128.load offset=${off} (local.get ${ptr}))`);
/** Stores the f64x2 `x` as two elements at `ptr`, each rounded once for float32 (as f32.demote_f64). */
const store2 = (T, ptr, x) => (T.t === 'f32' ? `(v128.store64_lane 0 (local.get ${ptr}) (f32x4.demote_f64x2_zero ${x}))` : `(v128.store (local.get ${ptr}) ${x})`);
const get = (name) => `(local.get $${name})`;
/** A coefficient splat into both lanes (set up by `splats`). */
const vget = (name) => `(local.get $V_${name})`;
// A splat is read back from a global (`quantizedKernels` declares one per
// coefficient): V8 re-splatted `(f64x2.splat param)` locals inside the loops
// (one vmovddup per use per turn), a value loaded from a global stays in a
// register or on the stack. Measured 24.3 → 22.0 ms for unorm_q8_f32 at 25M.
const splats = (names) => names.map((n) => `(global.set $G_${n} (f64x2.splat (local.get $${n}))) (local.set $V_${n} (global.get $G_${n}))`).join(' ');
const splatLocals = (names) => names.map((n) => `(local $V_${n} v128)`).join(' ');
const inc = (name, by) => `(local.set $${name} (i32.add (local.get $${name}) (i32.const ${by})))`;

const COEFFS = ['gs', 'wd', 'mu', 'a', 'cb', 'cd'];
const coeffParams = (names) => names.map((n) => `(param $${n} f64)`).join(' ');

/** The address of the code value (f64) of the element `offset` bytes past `$c`, less BOOK.codes. */
const codeAddress = (offset, c = '$c') => `(i32.add (local.get $book) (i32.shl (i32.load8_u offset=${offset} (local.get ${c})) (i32.const 3)))`;
/** The code value of the element `offset` bytes past `$c`, as f64. */
const codeValue = (offset) => `(f64.load offset=${BOOK.codes} ${codeAddress(offset)})`;

/**
 * The same for two elements at once, lane by lane (lane-wise f64x2 arithmetic
 * rounds exactly as the scalar ops): $dv, $bv from $wv.
 */
function directionAndBuffer2(T, c = '$c', coff = 0, woff = 0, h = '') {
  const codes = `(v128.load64_lane offset=${BOOK.codes} 1 ${codeAddress(coff + 1, c)} (v128.load64_zero offset=${BOOK.codes} ${codeAddress(coff, c)}))`;
  return `(local.set $dv${h} (f64x2.add (f64x2.mul ${vget('gs')} ${load2(T, '$g', woff)}) (f64x2.mul ${vget('wd')} (local.get $wv${h}))))
        (local.set $bv${h} (f64x2.add (f64x2.mul ${vget('mu')} (f64x2.mul ${codes} ${vget('scale')})) (f64x2.mul ${vget('a')} (local.get $dv${h}))))`;
}

/** d = gs·g + wd·w ; b = mu·(code·scale) + a·d, as in CpuBackend (w already in $wi). */
function directionAndBuffer(T) {
  const code = codeValue(0);
  return `(local.set $d (f64.add (f64.mul ${get('gs')} ${load(T, '$g')}) (f64.mul ${get('wd')} ${get('wi')})))
        (local.set $b (f64.add (f64.mul ${get('mu')} (f64.mul ${code} ${get('scale')})) (f64.mul ${get('a')} ${get('d')})))`;
}

/**
 * A loop over the layer's blocks: `$c` walks the codes, `$bend` ends the
 * block, `$scale` is its absmax (f64); `body` runs once per block and must
 * leave `$c` at `$bend` and move `$s` on.
 */
function blocks(body) {
  return `(local.set $qend (i32.add (local.get $q) (local.get $n)))
    (local.set $c (local.get $q))
    (block $blocks_done (loop $blocks
      (br_if $blocks_done (i32.ge_u (local.get $c) (local.get $qend)))
      (local.set $bend (i32.add (local.get $c) (i32.const ${BLOCK})))
      (local.set $bend (select (local.get $qend) (local.get $bend) (i32.gt_u (local.get $bend) (local.get $qend))))
      (local.set $scale (f64.promote_f32 (f32.load (local.get $s))))
      (local.set $V_scale (f64x2.splat (local.get $scale)))
      ${body}
      (local.set $s (i32.add (local.get $s) (i32.const 4)))
      (br $blocks)))`;
}

/** A loop of `$c` up to `$bend`, running `body` for each element and advancing `ptrs` by their byte steps. */
function elements(label, body, ptrs) {
  return `(block $${label}_done (loop $${label}
        (br_if $${label}_done (i32.ge_u (local.get $c) (local.get $bend)))
        ${body}
        ${ptrs.map(([p, by]) => inc(p, by)).join(' ')}
        (br $${label})))`;
}

/** As {@link elements}, two elements per turn while two remain (the rest is left to a scalar loop). */
function pairs(label, body, ptrs) {
  return `(block $${label}_done (loop $${label}
        (br_if $${label}_done (i32.gt_u (i32.add (local.get $c) (i32.const 2)) (local.get $bend)))
        ${body}
        ${ptrs.map(([p, by]) => inc(p, 2 * by)).join(' ')}
        (br $${label})))`;
}

/** As {@link pairs}, four elements per turn while four remain. */
function quads(label, body, ptrs) {
  return `(block $${label}_done (loop $${label}
        (br_if $${label}_done (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $bend)))
        ${body}
        ${ptrs.map(([p, by]) => inc(p, 4 * by)).join(' ')}
        (br $${label})))`;
}

/**
 * `$k` ← the index of the code nearest to `$x` (ties down), as
 * CodeBook.encodeStep: the table guess (`bucket` is the guess-table index, the
 * top bits of float32(x)) is the lowest code of its bucket and every bucket
 * spans at most two codes (WasmCodeBook checks `oneStep`), so one comparison,
 * added as 0 or 1, finishes it without a branch.
 */
function encode(bucket = `(i32.shr_u (i32.reinterpret_f32 (f32.demote_f64 (local.get $x))) (i32.const ${GUESS_SHIFT}))`) {
  return `(local.set $k (i32.load8_u offset=${BOOK.guess} (i32.add (local.get $book) ${bucket})))
        (local.set $k (i32.add (local.get $k)
          (f64.gt (local.get $x) (f64.load offset=${BOOK.thresholds + 8} (i32.add (local.get $book) (i32.shl (local.get $k) (i32.const 3)))))))`;
}

function updateQ8(T) {
  // max |b| over the pairs as the larger of max b and −min b: pmax (pmin)
  // keeps the old lane unless the new one is greater (less; NaN never is), as
  // `if (m > max) max = m` with m = |b|; the lanes start at +0, so −0 never
  // wins; the max of a set does not depend on the order it is taken in
  // (saves the f64x2.abs: 47 → 46 ms at 25M). `plain` is the first pass under
  // plain momentum (cb 1, cd 0: u = b, as in CpuBackend and the 32-bit kernels).
  const pass1PairBody = (plain, c = '$c', coff = 0, soff = 0) => `(local.set $wv ${load2(T, '$w')})
        ${directionAndBuffer2(T, c, coff)}
        (v128.store offset=${soff} (local.get $p) (local.get $bv))
        (local.set $maxv (f64x2.pmax (local.get $maxv) (local.get $bv))) (local.set $minv (f64x2.pmin (local.get $minv) (local.get $bv)))
        ${store2(T, '$w', `(f64x2.sub (local.get $wv) (f64x2.mul ${vget('step')} ${plain ? '(local.get $bv)' : `(f64x2.add (f64x2.mul ${vget('cb')} (local.get $bv)) (f64x2.mul ${vget('cd')} (local.get $dv)))`}))`)}`;
  const pass1Ptrs = [['w', T.size], ['g', T.size], ['c', 1], ['p', 8]];
  const pass1Pairs = (plain) => pairs(plain ? 'dequant2m' : 'dequant2', pass1PairBody(plain), pass1Ptrs);
  const pass1 = (plain) => elements(
    plain ? 'dequantm' : 'dequant',
    `(local.set $wi ${load(T, '$w')})
        ${directionAndBuffer(T)}
        (f64.store (local.get $p) (local.get $b))
        (local.set $m (f64.abs (local.get $b)))
        (local.set $max (select (local.get $m) (local.get $max) (f64.gt (local.get $m) (local.get $max))))
        ${store(T, '$w', `(f64.sub ${get('wi')} (f64.mul ${get('step')} ${plain ? get('b') : `(f64.add (f64.mul ${get('cb')} ${get('b')}) (f64.mul ${get('cd')} ${get('d')}))`}))`)}`,
    pass1Ptrs,
  );
  const maxOfPairs = `(local.set $max (f64x2.extract_lane 0 (local.get $maxv)))
          (local.set $m (f64x2.extract_lane 1 (local.get $maxv)))
          (local.set $max (select (local.get $m) (local.get $max) (f64.gt (local.get $m) (local.get $max))))
          (local.set $m (f64.neg (f64x2.extract_lane 0 (local.get $minv))))
          (local.set $max (select (local.get $m) (local.get $max) (f64.gt (local.get $m) (local.get $max))))
          (local.set $m (f64.neg (f64x2.extract_lane 1 (local.get $minv))))
          (local.set $max (select (local.get $m) (local.get $max) (f64.gt (local.get $m) (local.get $max))))`;
  // A block whose new absmax is 0 (all of b zero) gets the zero code, by
  // memory.fill (an all-zero 25M layer: 28 → 22 ms against a byte loop).
  const zeroFill = `(memory.fill (local.get $c) (local.get $zero) (i32.sub (local.get $bend) (local.get $c))) (local.set $c (local.get $bend))`;
  // Two quotients per division and both buckets at once (f32x4.demote rounds as
  // f32.demote_f64); the two guesses are loaded one at a time, their upper
  // thresholds into one f64x2, and both comparisons (f64x2.gt, as f64.gt lane
  // by lane) come back as the two bits of i64x2.bitmask: ×0x81 & 0x101 puts
  // bit 0 in byte 0 and bit 1 in byte 1, added to the two guesses and stored
  // as one 16-bit word (little-endian: the first element's code first);
  // 0.4–0.8 ms less at 25M than two scalar comparisons and byte stores.
  // `c`, `p`, `nv`: the codes, quotients' scratch and splat absmax it works on.
  const pass2PairBody = (c, p, nv, poff = 0) => `(local.set $xv (f64x2.div (v128.load offset=${poff} (local.get ${p})) (local.get ${nv})))
        (local.set $iv (i32x4.shr_u (f32x4.demote_f64x2_zero (local.get $xv)) (i32.const ${GUESS_SHIFT})))
        ${[0, 1].map((j) => `(local.set $k${j} (i32.load8_u offset=${BOOK.guess} (i32.add (local.get $book) (i32x4.extract_lane ${j} (local.get $iv)))))`).join(' ')}
        (i32.store16 (local.get ${c}) (i32.add (i32.or (local.get $k0) (i32.shl (local.get $k1) (i32.const 8)))
          (i32.and (i32.mul (i64x2.bitmask (f64x2.gt (local.get $xv)
            (v128.load64_lane offset=${BOOK.thresholds + 8} 1 (i32.add (local.get $book) (i32.shl (local.get $k1) (i32.const 3)))
              (v128.load64_zero offset=${BOOK.thresholds + 8} (i32.add (local.get $book) (i32.shl (local.get $k0) (i32.const 3)))))))
            (i32.const 0x81)) (i32.const 0x101))))`;
  // The requantization of the pending block (`$pc`.. `$pc + $pn`, quotients at
  // `$pp`) on its own, as it was before the blocks were interleaved.
  const pendingAlone = (label) => `(local.set $c (local.get $pc))
          (local.set $p (local.get $pp))
          (local.set $bend (i32.add (local.get $pc) (local.get $pn)))
          ${pairs(`${label}2`, pass2PairBody('$c', '$p', '$pnextv'), [['c', 1], ['p', 8]])}
          ${elements(label, `(local.set $x (f64.div (f64.load (local.get $p)) (local.get $pnext)))
        ${encode()}
        (i32.store8 (local.get $c) (local.get $k))`, [['c', 1], ['p', 8]])}
          (local.set $pend (i32.const 0))`;
  // A full block's first pass interleaved with the requantization of the
  // previous (full) block: the one streams memory while the other computes.
  // Each block's operations and their order are unchanged, so are the results.
  // Two pointers walk both blocks: `$pc` the previous block's codes (the
  // current block's are 256 bytes on) and `$p` the lower half of the scratch
  // (the other half 2048 bytes on); `pendingHigh` says which half holds the
  // previous block's quotients. Fewer live pointers: 45.5 → 42.9 ms at 25M.
  const fused = (plain, pendingHigh) => {
    const label = `$fused${plain ? 'm' : ''}${pendingHigh ? 'h' : 'l'}`;
    return `(block ${label}_done (loop ${label}
          (br_if ${label}_done (i32.ge_u (local.get $pc) (local.get $c)))
          ${pass1PairBody(plain, '$pc', BLOCK, pendingHigh ? 0 : BLOCK * 8)}
          ${pass2PairBody('$pc', '$p', '$pnextv', pendingHigh ? BLOCK * 8 : 0)}
          ${inc('w', 2 * T.size)} ${inc('g', 2 * T.size)} ${inc('pc', 2)} ${inc('p', 16)}
          (br ${label})))`;
  };
  const fusedPlainOrNot = (pendingHigh) => `(if (local.get $plain) (then ${fused(true, pendingHigh)}) (else ${fused(false, pendingHigh)}))`;
  const body = `(local.set $start (local.get $c))
      (local.set $max (f64.const 0))
      (local.set $maxv (v128.const f64x2 0 0)) (local.set $minv (v128.const f64x2 0 0))
      (if (i32.and (local.get $pend) (i32.eq (i32.sub (local.get $bend) (local.get $c)) (i32.const ${BLOCK})))
        (then
          (local.set $p (local.get $scratch))
          (if (i32.eq (local.get $cur) (local.get $scratch)) (then ${fusedPlainOrNot(true)}) (else ${fusedPlainOrNot(false)}))
          (local.set $c (local.get $bend))
          (local.set $pend (i32.const 0)))
        (else
          (if (local.get $pend) (then
            (local.set $cend (local.get $bend))
            ${pendingAlone('requant_mid')}
            (local.set $bend (local.get $cend))
            (local.set $c (local.get $start))))
          (local.set $p (local.get $cur))
          (if (local.get $plain) (then ${pass1Pairs(true)}) (else ${pass1Pairs(false)}))))
      ${maxOfPairs}
      (if (local.get $plain) (then ${pass1(true)}) (else ${pass1(false)}))
      (local.set $next32 (f32.demote_f64 (local.get $max)))
      (f32.store (local.get $s) (local.get $next32))
      (local.set $c (local.get $start))
      (if (f32.eq (local.get $next32) (f32.const 0))
        (then ${zeroFill})
        (else
          (local.set $pend (i32.const 1))
          (local.set $pc (local.get $start))
          (local.set $pp (local.get $cur))
          (local.set $pn (i32.sub (local.get $bend) (local.get $start)))
          (local.set $pnext (f64.promote_f32 (local.get $next32)))
          (local.set $pnextv (f64x2.splat (local.get $pnext)))
          (local.set $cur (i32.xor (local.get $cur) (local.get $flip)))
          (local.set $c (local.get $bend))))`;
  return `
  (func (export "update_q8_${T.t}") (param $w i32) (param $g i32) (param $q i32) (param $s i32) (param $n i32) (param $book i32) (param $scratch i32)
    ${coeffParams([...COEFFS, 'step'])}
    (local $c i32) (local $qend i32) (local $bend i32) (local $start i32) (local $p i32) (local $k i32) (local $zero i32) (local $plain i32)
    (local $pend i32) (local $pc i32) (local $pp i32) (local $pn i32) (local $cur i32) (local $flip i32) (local $cend i32)
    (local $scale f64) (local $wi f64) (local $d f64) (local $b f64) (local $m f64) (local $max f64) (local $next32 f32) (local $pnext f64) (local $x f64)
    (local $wv v128) (local $dv v128) (local $bv v128) (local $maxv v128) (local $minv v128) (local $xv v128) (local $iv v128) (local $pnextv v128) (local $k0 i32) (local $k1 i32) ${splatLocals([...COEFFS, 'step', 'scale'])}
    (local.set $zero (i32.load offset=${BOOK.zeroCode} (local.get $book)))
    (local.set $plain (i32.and (f64.eq (local.get $cb) (f64.const 1)) (f64.eq (local.get $cd) (f64.const 0))))
    (local.set $cur (local.get $scratch))
    (local.set $flip (i32.xor (local.get $scratch) (i32.add (local.get $scratch) (i32.const ${BLOCK * 8}))))
    ${splats([...COEFFS, 'step'])}
    ${blocks(body)}
    (if (local.get $pend) (then ${pendingAlone('requant_end')})))`;
}

function unormQ8(T) {
  // u² for two elements at once, then added to the sum one lane after the
  // other: the sum stays in order. Four elements per turn while four remain.
  const squares = (h) => `(local.set $uv${h} (f64x2.add (f64x2.mul ${vget('cb')} (local.get $bv${h})) (f64x2.mul ${vget('cd')} (local.get $dv${h}))))
        (local.set $uv${h} (f64x2.mul (local.get $uv${h}) (local.get $uv${h})))`;
  const addInOrder = (h) => `(local.set $uu (f64.add (f64.add (local.get $uu) (f64x2.extract_lane 0 (local.get $uv${h}))) (f64x2.extract_lane 1 (local.get $uv${h}))))`;
  const ptrs = [['w', T.size], ['g', T.size], ['c', 1]];
  const quadBody = quads(
    'unorm4',
    `(local.set $wv0 ${load2(T, '$w')})
        (local.set $wv1 ${load2(T, '$w', 2 * T.size)})
        ${directionAndBuffer2(T, '$c', 0, 0, 0)}
        ${directionAndBuffer2(T, '$c', 2, 2 * T.size, 1)}
        ${squares(0)}
        ${squares(1)}
        ${addInOrder(0)}
        ${addInOrder(1)}`,
    ptrs,
  );
  const pairBody = pairs(
    'unorm2',
    `(local.set $wv0 ${load2(T, '$w')})
        ${directionAndBuffer2(T, '$c', 0, 0, 0)}
        ${squares(0)}
        ${addInOrder(0)}`,
    ptrs,
  );
  const tail = elements(
    'unorm',
    `(local.set $wi ${load(T, '$w')})
        ${directionAndBuffer(T)}
        (local.set $u (f64.add (f64.mul ${get('cb')} ${get('b')}) (f64.mul ${get('cd')} ${get('d')})))
        (local.set $uu (f64.add (local.get $uu) (f64.mul (local.get $u) (local.get $u))))`,
    ptrs,
  );
  return `
  (func (export "unorm_q8_${T.t}") (param $w i32) (param $g i32) (param $q i32) (param $s i32) (param $n i32) (param $book i32)
    ${coeffParams(COEFFS)} (result f64)
    (local $c i32) (local $qend i32) (local $bend i32)
    (local $scale f64) (local $wi f64) (local $d f64) (local $b f64) (local $u f64) (local $uu f64)
    (local $wv0 v128) (local $dv0 v128) (local $bv0 v128) (local $uv0 v128) (local $wv1 v128) (local $dv1 v128) (local $bv1 v128) (local $uv1 v128)
    ${splatLocals([...COEFFS, 'scale'])}
    ${splats(COEFFS)}
    ${blocks(`${quadBody}
      ${pairBody}
      ${tail}`)}
    (local.get $uu))`;
}

/**
 * The WAT declarations of the v128 globals `$G_<coefficient>` through which
 * every kernel of a module passes its coefficient splats (see `splats`); a
 * module with any float or 8-bit kernel declares them once.
 *
 * @returns {string}
 */
export function coefficientGlobals() {
  return ['gs', 'wd', 'mu', 'a', 'cb', 'cd', 'step'].map((n) => `  (global $G_${n} (mut v128) (v128.const i64x2 0 0))`).join('\n');
}

/**
 * The WAT functions of the 8-bit kernels, for float32 and float64 parameters.
 *
 * @returns {string[]}
 */
export function quantizedKernels() {
  return [coefficientGlobals(), ...Object.values(TYPES).flatMap((T) => [updateQ8(T), unormQ8(T)])];
}
