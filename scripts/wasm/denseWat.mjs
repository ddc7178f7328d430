// The source of the WebAssembly SIMD dense-layer kernels (matrix products of
// the bundled models), as a generator of WAT text. `scripts/build-wasm.mjs`
// compiles it with wabt into its own module; src/models/wasm/denseModule.ts
// loads it. Templates are instantiated for float32 (f32x4) and float64
// (f64x2).
//
// One product out[r, :] = bias + Σ_q A(r, q) · B[q, :] in three steps, with
// byte addresses into the one imported memory and sizes in elements:
//   gather_T(rowStart, idx, val, a, R, Q, rs, cs, skip) -> nnz
//       reads A(r, q) = a[r·rs + q·cs] (any strides, so Aᵀ costs nothing more)
//       into compressed rows: for row r, entries rowStart[r] .. rowStart[r+1]
//       of idx (i32 q) and val (T). With skip = 1 zeros are left out (about
//       80% of MNIST pixels, half of the ReLU outputs); the loop is branch-free.
//   pack_T(dst, src, Q, M, rs, cs)
//       copies B[q, j] = src[q·rs + j·cs] into panels of PANEL vectors
//       (32 float32 or 16 float64 columns), each Q rows of its width stored
//       contiguously; the last panel is as many vectors as the remaining
//       columns need, the padding lanes are 0.
//   gemm_T(out, ors, R, Q, M, rowStart, idx, val, b, bias, relu, mask, mrs)
//       out[r·ors + j] for the R rows and M columns; per panel and row, one
//       accumulator vector per panel vector stays in a register while the
//       row's entries pass (register-blocked 1 × PANEL·lanes micro-tile).
//       bias: address of M values (0: none); relu = 1 stores pmax(x, 0):
//       x < 0 ? 0 : x, so NaN stays NaN, as in the JS loops; mask: address of a matrix (row stride
//       mrs) whose entries ≤ 0 zero the output (the ReLU's backward pass),
//       0: none. Loads of bias and mask may read up to one panel past the
//       last column: the caller leaves that much room.
//   transpose_T(dRowStart, dIdx, dVal, sRowStart, sIdx, sVal, R, Q)
//       compressed rows of an R × Q matrix into those of its transpose, so the
//       weight gradient (input transposed) reuses the forward pass's gather.
// SCRATCH_BYTES at address 0 are scratch for the partial vectors of a ragged
// last panel; set_scratch(address) moves an instance's scratch elsewhere, so
// that instances over one shared memory (worker threads running gemm_T on
// separate row ranges) do not write the same bytes.
//
// Plain WebAssembly SIMD only: relaxed SIMD (fused multiply-add) does not
// validate on Node 20 without a flag.

/** Vectors per full panel: eight accumulators, a broadcast and a load stay within 16 registers. */
export const PANEL_VECTORS = 8;
/** Bytes at address 0 the kernels use as scratch. */
export const DENSE_SCRATCH_BYTES = 16 * PANEL_VECTORS;

const TYPES = {
  f32: { t: 'f32', vec: 'f32x4', size: 4, lanes: 4 },
  f64: { t: 'f64', vec: 'f64x2', size: 8, lanes: 2 },
};

const get = (n) => `(local.get $${n})`;
const set = (n, x) => `(local.set $${n} ${x})`;
const inc = (n, by) => set(n, `(i32.add ${get(n)} ${typeof by === 'number' ? `(i32.const ${by})` : by})`);
const i32 = (v) => `(i32.const ${v})`;

function gather(T) {
  // One element: store it at the end of the list and keep it (advance the count) unless it is a skipped zero.
  const one = (load) => `${set('v', load)}
          (i32.store (i32.add ${get('idx')} (i32.shl ${get('cnt')} ${i32(2)})) ${get('q')})
          (${T.t}.store (i32.add ${get('val')} (i32.mul ${get('cnt')} ${i32(T.size)})) ${get('v')})
          ${inc('cnt', `(i32.or ${get('keep')} (${T.t}.ne ${get('v')} (${T.t}.const 0)))`)}`;
  const lanes = Array.from({ length: T.lanes }, (_, j) => `(local.set $q (i32.add ${get('q0')} ${i32(j)})) ${one(`(${T.vec}.extract_lane ${j} ${get('x')})`)}`).join('\n          ');
  return `
  (func (export "gather_${T.t}") (param $rowStart i32) (param $idx i32) (param $val i32) (param $a i32)
      (param $R i32) (param $Q i32) (param $rs i32) (param $cs i32) (param $skip i32) (result i32)
    (local $cnt i32) (local $r i32) (local $q i32) (local $q0 i32) (local $qv i32) (local $p i32) (local $step i32)
    (local $v ${T.t}) (local $keep i32) (local $x v128)
    ${set('step', `(i32.mul ${get('cs')} ${i32(T.size)})`)}
    ${set('keep', `(i32.eqz ${get('skip')})`)}
    ;; contiguous rows: whole vectors at a time, and a vector of zeros costs one test
    ${set('qv', `(select (i32.and ${get('Q')} ${i32(-T.lanes)}) ${i32(0)} (i32.eq ${get('cs')} ${i32(1)}))`)}
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u ${get('r')} ${get('R')}))
      (i32.store (i32.add ${get('rowStart')} (i32.shl ${get('r')} ${i32(2)})) ${get('cnt')})
      ${set('p', `(i32.add ${get('a')} (i32.mul (i32.mul ${get('r')} ${get('rs')}) ${i32(T.size)}))`)}
      ${set('q0', i32(0))}
      (block $vdone (loop $vloop
        (br_if $vdone (i32.ge_u ${get('q0')} ${get('qv')}))
        ${set('x', `(v128.load ${get('p')})`)}
        (if (i32.or ${get('keep')} (v128.any_true ${get('x')}))
          (then
          ${lanes}))
        ${inc('p', 16)}
        ${inc('q0', T.lanes)}
        (br $vloop)))
      ${set('q', get('q0'))}
      (block $qdone (loop $qloop
        (br_if $qdone (i32.ge_u ${get('q')} ${get('Q')}))
        ${one(`(${T.t}.load ${get('p')})`)}
        ${inc('p', get('step'))}
        ${inc('q', 1)}
        (br $qloop)))
      ${inc('r', 1)}
      (br $rloop)))
    (i32.store (i32.add ${get('rowStart')} (i32.shl ${get('R')} ${i32(2)})) ${get('cnt')})
    ${get('cnt')})`;
}

/**
 * Compressed rows of an R × Q matrix into compressed rows of its transpose
 * (Q × R), entries of each new row in increasing r: a counting sort. The
 * destination's row starts (Q + 1 int32) double as the fill cursors.
 */
function transpose(T) {
  const at = (base, i, shift = 2) => `(i32.add ${get(base)} (i32.shl ${i} ${i32(shift)}))`;
  const tShift = Math.log2(T.size);
  return `
  (func (export "transpose_${T.t}") (param $dRowStart i32) (param $dIdx i32) (param $dVal i32)
      (param $sRowStart i32) (param $sIdx i32) (param $sVal i32) (param $R i32) (param $Q i32)
    (local $q i32) (local $r i32) (local $e i32) (local $end i32) (local $c i32) (local $sum i32) (local $pos i32) (local $cell i32)
    ;; counts of each column in dRowStart[q + 1]
    (memory.fill ${get('dRowStart')} ${i32(0)} (i32.shl (i32.add ${get('Q')} ${i32(1)}) ${i32(2)}))
    ${set('end', `(i32.load ${at('sRowStart', get('R'))})`)}
    (block $cdone (loop $cloop
      (br_if $cdone (i32.ge_u ${get('e')} ${get('end')}))
      ${set('cell', `(i32.add ${at('dRowStart', `(i32.load ${at('sIdx', get('e'))})`)} ${i32(4)})`)}
      (i32.store ${get('cell')} (i32.add (i32.load ${get('cell')}) ${i32(1)}))
      ${inc('e', 1)}
      (br $cloop)))
    ;; exclusive prefix sums: dRowStart[q] = first entry of row q, for q ≤ Q
    (block $sdone (loop $sloop
      (br_if $sdone (i32.gt_u ${get('q')} ${get('Q')}))
      ${set('cell', at('dRowStart', get('q')))}
      ${set('sum', `(i32.add ${get('sum')} (i32.load ${get('cell')}))`)}
      (i32.store ${get('cell')} ${get('sum')})
      ${inc('q', 1)}
      (br $sloop)))
    ;; scatter, using dRowStart[q] as the cursor of row q; afterwards it holds the start of row q + 1
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u ${get('r')} ${get('R')}))
      ${set('e', `(i32.load ${at('sRowStart', get('r'))})`)}
      ${set('end', `(i32.load offset=4 ${at('sRowStart', get('r'))})`)}
      (block $edone (loop $eloop
        (br_if $edone (i32.ge_u ${get('e')} ${get('end')}))
        ${set('cell', at('dRowStart', `(i32.load ${at('sIdx', get('e'))})`))}
        ${set('pos', `(i32.load ${get('cell')})`)}
        (i32.store ${get('cell')} (i32.add ${get('pos')} ${i32(1)}))
        (i32.store ${at('dIdx', get('pos'))} ${get('r')})
        (${T.t}.store ${at('dVal', get('pos'), tShift)} (${T.t}.load ${at('sVal', get('e'), tShift)}))
        ${inc('e', 1)}
        (br $eloop)))
      ${inc('r', 1)}
      (br $rloop)))
    ;; shift the starts back by one row
    ${set('q', get('Q'))}
    (block $bdone (loop $bloop
      (br_if $bdone (i32.eqz ${get('q')}))
      (i32.store ${at('dRowStart', get('q'))} (i32.load ${at('dRowStart', `(i32.sub ${get('q')} ${i32(1)})`)}))
      ${set('q', `(i32.sub ${get('q')} ${i32(1)})`)}
      (br $bloop)))
    (i32.store ${get('dRowStart')} ${i32(0)}))`;
}

function pack(T) {
  const full = PANEL_VECTORS * T.lanes;
  return `
  (func (export "pack_${T.t}") (param $dst i32) (param $src i32) (param $Q i32) (param $M i32) (param $rs i32) (param $cs i32)
    (local $j0 i32) (local $w i32) (local $q i32) (local $j i32) (local $col i32)
    (block $pdone (loop $ploop
      (br_if $pdone (i32.ge_u ${get('j0')} ${get('M')}))
      ;; width of this panel in elements: full, or the rest rounded up to whole vectors
      ${set('w', `(i32.sub ${get('M')} ${get('j0')})`)}
      ${set('w', `(select ${i32(full)} (i32.and (i32.add ${get('w')} ${i32(T.lanes - 1)}) ${i32(-T.lanes)}) (i32.ge_u ${get('w')} ${i32(full)}))`)}
      ${set('q', i32(0))}
      (block $qdone (loop $qloop
        (br_if $qdone (i32.ge_u ${get('q')} ${get('Q')}))
        ${set('j', i32(0))}
        ;; a full panel of a row-major matrix: whole vectors
        (if (i32.and (i32.eq ${get('cs')} ${i32(1)}) (i32.eq ${get('w')} ${i32(full)}))
          (then
            ${set('col', `(i32.add ${get('src')} (i32.mul ${i32(T.size)} (i32.add (i32.mul ${get('q')} ${get('rs')}) ${get('j0')})))`)}
            ${Array.from({ length: PANEL_VECTORS }, (_, v) => `(v128.store offset=${16 * v} ${get('dst')} (v128.load offset=${16 * v} ${get('col')}))`).join(' ')}
            ${inc('dst', 16 * PANEL_VECTORS)}
            ${set('j', get('w'))}))
        (block $jdone (loop $jloop
          (br_if $jdone (i32.ge_u ${get('j')} ${get('w')}))
          ${set('col', `(i32.add ${get('j0')} ${get('j')})`)}
          (${T.t}.store ${get('dst')}
            (if (result ${T.t}) (i32.lt_u ${get('col')} ${get('M')})
              (then (${T.t}.load (i32.add ${get('src')} (i32.mul ${i32(T.size)}
                (i32.add (i32.mul ${get('q')} ${get('rs')}) (i32.mul ${get('col')} ${get('cs')}))))))
              (else (${T.t}.const 0))))
          ${inc('dst', T.size)}
          ${inc('j', 1)}
          (br $jloop)))
        ${inc('q', 1)}
        (br $qloop)))
      ${inc('j0', full)}
      (br $ploop))))`;
}

/** One panel of V vectors over all R rows. `$c` is the number of valid columns (≤ V·lanes). */
function panel(T, V) {
  const accs = Array.from({ length: V }, (_, v) => `$acc${v}`);
  const zero = `(v128.const i64x2 0 0)`;
  const init = accs
    .map((a, v) => `(local.set ${a} (if (result v128) ${get('bias')} (then (v128.load offset=${16 * v} ${get('bias')})) (else ${zero})))`)
    .join('\n      ');
  const fma = accs
    .map((a, v) => `(local.set ${a} (${T.vec}.add (local.get ${a}) (${T.vec}.mul ${get('s')} (v128.load offset=${16 * v} ${get('bp')}))))`)
    .join('\n        ');
  const finish = accs
    .map(
      (a, v) => `(if ${get('relu')} (then (local.set ${a} (${T.vec}.pmax (local.get ${a}) ${zero}))))
      (if ${get('mask')} (then (local.set ${a} (v128.andnot (local.get ${a})
        (${T.vec}.le (v128.load offset=${16 * v} ${get('mp')}) ${zero})))))`,
    )
    .join('\n      ');
  const storeFull = accs.map((a, v) => `(v128.store offset=${16 * v} ${get('op')} (local.get ${a}))`).join(' ');
  const storeScratch = accs.map((a, v) => `(v128.store offset=${16 * v} (global.get $scratch) (local.get ${a}))`).join(' ');
  return `
  (func $panel_${T.t}_${V} (param $out i32) (param $ors i32) (param $R i32) (param $rowStart i32) (param $idx i32) (param $val i32)
      (param $b i32) (param $bias i32) (param $relu i32) (param $mask i32) (param $mrs i32) (param $c i32)
    (local $r i32) (local $ip i32) (local $ie i32) (local $vp i32) (local $bp i32) (local $op i32) (local $mp i32) (local $j i32)
    (local $s v128) ${accs.map((a) => `(local ${a} v128)`).join(' ')}
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u ${get('r')} ${get('R')}))
      ${set('ip', `(i32.load (i32.add ${get('rowStart')} (i32.shl ${get('r')} ${i32(2)})))`)}
      ${set('ie', `(i32.load offset=4 (i32.add ${get('rowStart')} (i32.shl ${get('r')} ${i32(2)})))`)}
      ${set('vp', `(i32.add ${get('val')} (i32.mul ${get('ip')} ${i32(T.size)}))`)}
      ${set('ip', `(i32.add ${get('idx')} (i32.shl ${get('ip')} ${i32(2)}))`)}
      ${set('ie', `(i32.add ${get('idx')} (i32.shl ${get('ie')} ${i32(2)}))`)}
      ${init}
      (block $edone (loop $eloop
        (br_if $edone (i32.ge_u ${get('ip')} ${get('ie')}))
        ${set('s', `(${T.vec}.splat (${T.t}.load ${get('vp')}))`)}
        ${set('bp', `(i32.add ${get('b')} (i32.mul (i32.load ${get('ip')}) ${i32(16 * V)}))`)}
        ${fma}
        ${inc('ip', 4)}
        ${inc('vp', T.size)}
        (br $eloop)))
      ${set('mp', `(i32.add ${get('mask')} (i32.mul (i32.mul ${get('r')} ${get('mrs')}) ${i32(T.size)}))`)}
      ${finish}
      ${set('op', `(i32.add ${get('out')} (i32.mul (i32.mul ${get('r')} ${get('ors')}) ${i32(T.size)}))`)}
      (if (i32.eq ${get('c')} ${i32(V * T.lanes)})
        (then ${storeFull})
        (else
          ${storeScratch}
          ${set('j', i32(0))}
          (block $cdone (loop $cloop
            (br_if $cdone (i32.ge_u ${get('j')} ${get('c')}))
            (${T.t}.store (i32.add ${get('op')} (i32.mul ${get('j')} ${i32(T.size)})) (${T.t}.load (i32.add (global.get $scratch) (i32.mul ${get('j')} ${i32(T.size)}))))
            ${inc('j', 1)}
            (br $cloop)))))
      ${inc('r', 1)}
      (br $rloop))))`;
}

function gemm(T) {
  const full = PANEL_VECTORS * T.lanes;
  const args = `${get('o')} ${get('ors')} ${get('R')} ${get('rowStart')} ${get('idx')} ${get('val')} ${get('b')} ${get('bi')} ${get('relu')} ${get('mk')} ${get('mrs')} ${get('c')}`;
  // Dispatch on the panel's vector count V (1 .. PANEL_VECTORS) with nested blocks and br_table.
  let dispatch = `(br_table ${Array.from({ length: PANEL_VECTORS }, (_, v) => `$v${v + 1}`).join(' ')} $v${PANEL_VECTORS} (i32.sub ${get('V')} ${i32(1)}))`;
  for (let V = 1; V <= PANEL_VECTORS; V++) {
    dispatch = `(block $v${V} ${dispatch})\n        (call $panel_${T.t}_${V} ${args}) (br $next)`;
  }
  return `
  (func (export "gemm_${T.t}") (param $out i32) (param $ors i32) (param $R i32) (param $Q i32) (param $M i32)
      (param $rowStart i32) (param $idx i32) (param $val i32) (param $b i32) (param $bias i32) (param $relu i32) (param $mask i32) (param $mrs i32)
    (local $j0 i32) (local $c i32) (local $V i32) (local $o i32) (local $bi i32) (local $mk i32)
    (block $pdone (loop $ploop
      (br_if $pdone (i32.ge_u ${get('j0')} ${get('M')}))
      ${set('c', `(i32.sub ${get('M')} ${get('j0')})`)}
      ${set('c', `(select ${i32(full)} ${get('c')} (i32.ge_u ${get('c')} ${i32(full)}))`)}
      ${set('V', `(i32.shr_u (i32.add ${get('c')} ${i32(T.lanes - 1)}) ${i32(Math.log2(T.lanes))})`)}
      ${set('o', `(i32.add ${get('out')} (i32.mul ${get('j0')} ${i32(T.size)}))`)}
      ${set('bi', `(select (i32.add ${get('bias')} (i32.mul ${get('j0')} ${i32(T.size)})) ${i32(0)} ${get('bias')})`)}
      ${set('mk', `(select (i32.add ${get('mask')} (i32.mul ${get('j0')} ${i32(T.size)})) ${i32(0)} ${get('mask')})`)}
      (block $next
        ${dispatch})
      ;; the next panel starts after Q rows of V vectors
      ${inc('b', `(i32.mul (i32.mul ${get('Q')} ${get('V')}) ${i32(16)})`)}
      ${inc('j0', full)}
      (br $ploop))))`;
}

/**
 * The WAT text of the dense kernel module.
 *
 * @param {{ shared?: boolean }} [options] - whether the imported memory is shared (for worker threads).
 * @returns {string}
 */
export function denseWat({ shared = false } = {}) {
  const parts = [];
  for (const T of Object.values(TYPES)) {
    parts.push(gather(T), transpose(T), pack(T));
    for (let V = 1; V <= PANEL_VECTORS; V++) parts.push(panel(T, V));
    parts.push(gemm(T));
  }
  return `(module
  (memory (import "env" "memory") 1${shared ? ' 65536 shared' : ''})
  ;; this instance's scratch (a ragged last panel's partial vectors): 0 unless set_scratch moves it
  (global $scratch (mut i32) (i32.const 0))
  (func (export "set_scratch") (param $at i32) (global.set $scratch (local.get $at)))
${parts.join('\n')}
)
`;
}
