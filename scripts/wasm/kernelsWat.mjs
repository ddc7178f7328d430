// The source of the WebAssembly SIMD kernels, as a generator of WAT text: one
// template per kernel, instantiated for float32 and float64 so both types share
// one piece of math. `scripts/build-wasm.mjs` compiles it with wabt. float32
// data is computed in float64 (f64x2 over two widened elements, rounded once on
// store; see F32_IN_F64), as the JS loops do. Every kernel handles 8 float64 or
// 16 float32 elements per loop turn, then a scalar tail doing the same
// operations in the same order.
//
// Exports, with byte addresses into the one imported memory:
//   norms_T(w, g, n, out)                 out[0] = Σw², out[1] = Σg²  (f64 sums)
//   unorm_T(w, g, buf, n, gs, wd, mu, a, cb, cd) -> Σu²   (buf = 0: no momentum; one f64x2 sum per vector of a turn)
//   norms_part_T(w, g, n, carry), norms_finish_T(carry, out)
//       the same sums over a layer in parts (see `carry`), for ordinary
//       operands summed chunk by chunk as they are copied into memory
//   update_T(w, g, buf, n, gs, wd, mu, a, cb, cd, step)   the fused update, in place
//   update_momentum_T(w, g, buf, n, gs, wd, mu, a, step)  the same with cb = 1, cd = 0
//   update_nobuf_T(w, g, n, gs, wd, cd, step)             the update with momentum 0
// The formula is the one of src/optimizers/LayerCoefficients.ts, in its order.

import { coefficientGlobals, quantizedKernels } from './quantizedWat.mjs';

const TYPES = {
  f32: { t: 'f32', math: 'f32', vec: 'f32x4', size: 4, vectors: 2, vbytes: 16 },
  f64: { t: 'f64', math: 'f64', vec: 'f64x2', size: 8, vectors: 4, vbytes: 16 },
};
/**
 * float32 data in float64 arithmetic, as the JS loops do: each vector is two
 * float32 elements (8 bytes) promoted to an f64x2, every value rounded once,
 * to float32, when stored. Used by the updates and Σu², so a direction
 * g + wd·w (or a momentum, or an update) that float64 holds never overflows
 * to ±Infinity in float32 on the way, and results equal the JS loops'.
 */
const F32_IN_F64 = { t: 'f32', math: 'f64', vec: 'f64x2', size: 4, vectors: 8, vbytes: 8 };

/** Operations on either one vector (`v`) or one scalar (`s`) of type `T`. */
function ops(T, mode) {
  const p = mode === 'v' ? T.vec : T.math;
  const widened = T.t !== T.math;
  const load = (ptr, off) => {
    if (!widened) return `(${mode === 'v' ? 'v128' : T.t}.load offset=${off} (local.get ${ptr}))`;
    return mode === 'v'
      ? `(f64x2.promote_low_f32x4 (v128.load64_zero offset=${off} (local.get ${ptr})))`
      : `(f64.promote_f32 (f32.load offset=${off} (local.get ${ptr})))`;
  };
  const store = (ptr, off, x) => {
    if (!widened) return `(${mode === 'v' ? 'v128' : T.t}.store offset=${off} (local.get ${ptr}) ${x})`;
    return mode === 'v'
      ? `(v128.store64_lane offset=${off} 0 (local.get ${ptr}) (f32x4.demote_f64x2_zero ${x}))`
      : `(f32.store offset=${off} (local.get ${ptr}) (f32.demote_f64 ${x}))`;
  };
  // Coefficient locals: `$V_gs` holds the splat vector, `$S_gs` the scalar.
  const k = (name) => `(local.get $${mode === 'v' ? 'V' : 'S'}_${name})`;
  return {
    add: (x, y) => `(${p}.add ${x} ${y})`,
    sub: (x, y) => `(${p}.sub ${x} ${y})`,
    mul: (x, y) => `(${p}.mul ${x} ${y})`,
    load,
    store,
    k,
  };
}

/** Coefficient parameters (as f64, what JS passes) and their vector and scalar locals. */
function coefficients(T, names) {
  const params = names.map((n) => `(param $${n} f64)`).join(' ');
  const locals = names.map((n) => `(local $V_${n} v128) (local $S_${n} ${T.math})`).join(' ');
  const scalar = (n) => (T.math === 'f32' ? `(f32.demote_f64 (local.get $${n}))` : `(local.get $${n})`);
  // The splat goes through a global (coefficientGlobals) and back: V8 would otherwise
  // redo \`splat(param)\` inside the loop at every use; a value read from a global stays in a register.
  const init = names
    .map((n) => `(local.set $S_${n} ${scalar(n)}) (global.set $G_${n} (${T.vec}.splat (local.get $S_${n}))) (local.set $V_${n} (global.get $G_${n}))`)
    .join('\n    ');
  return { params, locals, init };
}

/**
 * A loop over `n` elements: `body(mode, off)` emits the work for one vector at
 * byte offset `off` (mode 'v') or one element (mode 's'); pointers named in
 * `ptrs` advance together.
 */
function loop(T, ptrs, body) {
  const vbytes = T.vbytes ?? 16;
  const step = vbytes * T.vectors;
  const advance = (bytes) => ptrs.map((p) => `(local.set ${p} (i32.add (local.get ${p}) (i32.const ${bytes})))`).join(' ');
  const vectorBody = Array.from({ length: T.vectors }, (_, j) => body('v', vbytes * j)).join('\n      ');
  return `
    (local.set $vend (i32.add (local.get ${ptrs[0]}) (i32.mul (i32.and (local.get $n) (i32.const ${-step / T.size})) (i32.const ${T.size}))))
    (local.set $end (i32.add (local.get ${ptrs[0]}) (i32.mul (local.get $n) (i32.const ${T.size}))))
    (block $vdone (loop $vloop
      (br_if $vdone (i32.ge_u (local.get ${ptrs[0]}) (local.get $vend)))
      ${vectorBody}
      ${advance(step)}
      (br $vloop)))
    (block $sdone (loop $sloop
      (br_if $sdone (i32.ge_u (local.get ${ptrs[0]}) (local.get $end)))
      ${body('s', 0)}
      ${advance(T.size)}
      (br $sloop)))`;
}

/** Adds x² to the f64 accumulators: vectors promote to f64x2 halves, scalars to f64. */
function accumulate(T, mode, x, accA, accB, accS) {
  if (mode === 's') {
    const e = T.math === 'f32' ? `(f64.promote_f32 ${x})` : x;
    return `(local.set $tmp_s ${e}) (local.set ${accS} (f64.add (local.get ${accS}) (f64.mul (local.get $tmp_s) (local.get $tmp_s))))`;
  }
  if (T.math === 'f64') {
    return `(local.set $tmp_v ${x}) (local.set ${accA} (f64x2.add (local.get ${accA}) (f64x2.mul (local.get $tmp_v) (local.get $tmp_v))))`;
  }
  const lo = `(f64x2.promote_low_f32x4 (local.get $tmp_v))`;
  const hi = `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $tmp_v) (local.get $tmp_v)))`;
  return `(local.set $tmp_v ${x})
      (local.set $tmp_lo ${lo}) (local.set $tmp_hi ${hi})
      (local.set ${accA} (f64x2.add (local.get ${accA}) (f64x2.mul (local.get $tmp_lo) (local.get $tmp_lo))))
      (local.set ${accB} (f64x2.add (local.get ${accB}) (f64x2.mul (local.get $tmp_hi) (local.get $tmp_hi))))`;
}

const ACC_LOCALS = '(local $tmp_v v128) (local $tmp_lo v128) (local $tmp_hi v128) (local $tmp_s f64)';
const LOOP_LOCALS = '(local $vend i32) (local $end i32)';

/**
 * Σw² and Σg² in float64. float64 data: one f64x2 per 16-byte load. float32
 * data: each 16-byte vector is read as two 8-byte halves (`v128.load64_zero`)
 * that widen straight to f64x2, which costs less than widening a whole f32x4
 * (no shuffle), and a turn covers 4 vectors (16 elements). Every half-vector
 * has its own accumulator, so the adds do not wait on each other.
 */
function norms(T) {
  const turn = T.t === 'f32' ? { ...T, vectors: 4 } : T;
  const halves = T.t === 'f32' ? [0, 8] : [0];
  const names = [];
  const body = (mode, off) => {
    const o = ops(T, mode);
    if (mode === 's') {
      return `${accumulate(T, 's', o.load('$w', off), null, null, '$ws')}
      ${accumulate(T, 's', o.load('$g', off), null, null, '$gs')}`;
    }
    return ['w', 'g']
      .flatMap((x) =>
        halves.map((h) => {
          const acc = `$${x}${off + h}`;
          names.push(acc);
          const value = T.t === 'f32' ? `(f64x2.promote_low_f32x4 (v128.load64_zero offset=${off + h} (local.get $${x})))` : o.load(`$${x}`, off);
          return `(local.set $tmp_v ${value}) (local.set ${acc} (f64x2.add (local.get ${acc}) (f64x2.mul (local.get $tmp_v) (local.get $tmp_v))))`;
        }),
      )
      .join('\n      ');
  };
  const loopText = loop(turn, ['$w', '$g'], body);
  const total = (x) =>
    names.filter((n) => n.startsWith(`$${x}`)).reduce((sum, n) => (sum === '' ? `(local.get ${n})` : `(f64x2.add ${sum} (local.get ${n}))`), '');
  const lanes = (x) => `(local.set $tmp_v ${total(x)}) (f64.add (f64x2.extract_lane 0 (local.get $tmp_v)) (f64x2.extract_lane 1 (local.get $tmp_v)))`;
  const locals = `${names.map((n) => `(local ${n} v128)`).join(' ')} (local $ws f64) (local $gs f64)`;
  const finish = `(f64.store (local.get $out) (f64.add (block (result f64) ${lanes('w')}) (local.get $ws)))
    (f64.store offset=8 (local.get $out) (f64.add (block (result f64) ${lanes('g')}) (local.get $gs)))`;
  const c = carry(names, ['$ws', '$gs']);
  return `
  (func (export "norms_${T.t}") (param $w i32) (param $g i32) (param $n i32) (param $out i32)
    ${LOOP_LOCALS} ${ACC_LOCALS}
    ${locals}
    ${loopText}
    ${finish})
  (func (export "norms_part_${T.t}") (param $w i32) (param $g i32) (param $n i32) (param $carry i32)
    ${LOOP_LOCALS} ${ACC_LOCALS}
    ${locals}
    ${c.load}
    ${loopText}
    ${c.store})
  (func (export "norms_finish_${T.t}") (param $carry i32) (param $out i32)
    ${ACC_LOCALS} ${locals}
    ${c.load}
    ${finish})`;
}

/**
 * Loads and stores of a kernel's accumulators at `$carry` (vectors first,
 * then f64 scalars), so a layer can be summed in parts: the *_part kernels
 * continue from and leave their sums there, and *_finish combines them
 * exactly as the one-call kernel does. Parts whose lengths are multiples of
 * the loop turn (16 elements) run the very same operations in the same order.
 */
function carry(vectors, scalars) {
  const load = [
    ...vectors.map((n, i) => `(local.set ${n} (v128.load offset=${16 * i} (local.get $carry)))`),
    ...scalars.map((n, i) => `(local.set ${n} (f64.load offset=${16 * vectors.length + 8 * i} (local.get $carry)))`),
  ].join(' ');
  const store = [
    ...vectors.map((n, i) => `(v128.store offset=${16 * i} (local.get $carry) (local.get ${n}))`),
    ...scalars.map((n, i) => `(f64.store offset=${16 * vectors.length + 8 * i} (local.get $carry) (local.get ${n}))`),
  ].join(' ');
  return { load, store };
}

/** d = gs·g + wd·w ; b = mu·buf + a·d ; u = cb·b + cd·d (the direction, buffer and update of one vector). */
function direction(o, off, wi) {
  return o.add(o.mul(o.k('gs'), o.load('$g', off)), o.mul(o.k('wd'), wi));
}

function unorm(T) {
  const c = coefficients(T, ['gs', 'wd', 'mu', 'a', 'cb', 'cd']);
  // One accumulator per vector of a turn (8 for float32, 4 for float64), so the adds do not wait on each other.
  const acc = (off) => `$ua${off}`;
  const accs = Array.from({ length: T.vectors }, (_, j) => acc(j * (T.vbytes ?? 16)));
  const withBuf = (mode, off) => {
    const o = ops(T, mode);
    const d = `(local.set $d_${mode} ${direction(o, off, o.load('$w', off))})`;
    const b = `(local.set $b_${mode} ${o.add(o.mul(o.k('mu'), o.load('$b', off)), o.mul(o.k('a'), `(local.get $d_${mode})`))})`;
    const u = o.add(o.mul(o.k('cb'), `(local.get $b_${mode})`), o.mul(o.k('cd'), `(local.get $d_${mode})`));
    return `${d} ${b}\n      ${accumulate(T, mode, u, acc(off), null, '$us')}`;
  };
  const noBuf = (mode, off) => {
    const o = ops(T, mode);
    // b = 0, so u = cb·0 + cd·d = cd·d (up to the sign of a zero, which squaring drops).
    return accumulate(T, mode, o.mul(o.k('cd'), direction(o, off, o.load('$w', off))), acc(off), null, '$us');
  };
  const total = accs.slice(1).reduce((sum, a) => `(f64x2.add ${sum} (local.get ${a}))`, `(local.get ${accs[0]})`);
  return `
  (func (export "unorm_${T.t}") (param $w i32) (param $g i32) (param $b i32) (param $n i32) ${c.params} (result f64)
    ${LOOP_LOCALS} ${ACC_LOCALS} ${c.locals}
    (local $d_v v128) (local $b_v v128) (local $d_s ${T.math}) (local $b_s ${T.math})
    ${accs.map((a) => `(local ${a} v128)`).join(' ')} (local $us f64)
    ${c.init}
    (if (i32.eqz (local.get $b))
      (then ${loop(T, ['$w', '$g'], noBuf)})
      (else ${loop(T, ['$w', '$g', '$b'], withBuf)}))
    (local.set $tmp_v ${total})
    (f64.add (f64.add (f64x2.extract_lane 0 (local.get $tmp_v)) (f64x2.extract_lane 1 (local.get $tmp_v))) (local.get $us)))`;
}

/**
 * The fused update with a momentum buffer. `plain` is the common case
 * fromBuffer = 1, fromDirection = 0 (momentum without Nesterov), where
 * u = 1·b + 0·d is b up to the sign of a zero, so the kernel skips those two
 * products; the JS backend takes the same shortcut, so the two stay equal.
 */
function update(T, plain) {
  const c = coefficients(T, plain ? ['gs', 'wd', 'mu', 'a', 'step'] : ['gs', 'wd', 'mu', 'a', 'cb', 'cd', 'step']);
  const body = (mode, off) => {
    const o = ops(T, mode);
    const wi = `(local.get $w_${mode})`;
    const b = `(local.get $b_${mode})`;
    const u = plain ? b : o.add(o.mul(o.k('cb'), b), o.mul(o.k('cd'), `(local.get $d_${mode})`));
    return `(local.set $w_${mode} ${o.load('$w', off)})
      (local.set $d_${mode} ${direction(o, off, wi)})
      (local.set $b_${mode} ${o.add(o.mul(o.k('mu'), o.load('$b', off)), o.mul(o.k('a'), `(local.get $d_${mode})`))})
      ${o.store('$b', off, b)}
      ${o.store('$w', off, o.sub(wi, o.mul(o.k('step'), u)))}`;
  };
  return `
  (func (export "${plain ? 'update_momentum' : 'update'}_${T.t}") (param $w i32) (param $g i32) (param $b i32) (param $n i32) ${c.params}
    ${LOOP_LOCALS} ${c.locals}
    (local $w_v v128) (local $d_v v128) (local $b_v v128) (local $w_s ${T.math}) (local $d_s ${T.math}) (local $b_s ${T.math})
    ${c.init}
    ${loop(T, ['$w', '$g', '$b'], body)})`;
}

function updateNoBuf(T) {
  const c = coefficients(T, ['gs', 'wd', 'cd', 'step']);
  const body = (mode, off) => {
    const o = ops(T, mode);
    const wi = `(local.get $w_${mode})`;
    return `(local.set $w_${mode} ${o.load('$w', off)})
      ${o.store('$w', off, o.sub(wi, o.mul(o.k('step'), o.mul(o.k('cd'), direction(o, off, wi)))))}`;
  };
  return `
  (func (export "update_nobuf_${T.t}") (param $w i32) (param $g i32) (param $n i32) ${c.params}
    ${LOOP_LOCALS} ${c.locals} (local $w_v v128) (local $w_s ${T.math})
    ${c.init}
    ${loop(T, ['$w', '$g'], body)})`;
}

/** `copy_bytes(dst, src, n)`: memory.copy of n bytes (ranges may overlap), for the worker threads' chunk backups. */
function copyBytes() {
  return `  (func (export "copy_bytes") (param $dst i32) (param $src i32) (param $n i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $n)))`;
}

/**
 * The WAT text of the kernel module.
 *
 * @param {{ shared: boolean }} options - whether the imported memory is shared (for worker threads).
 * @returns {string}
 */
export function kernelsWat({ shared }) {
  const kernels = Object.values(TYPES).flatMap((T) => {
    // float32: the norms widen on their own; the momentum and update math runs in float64 (see F32_IN_F64).
    const U = T.t === 'f32' ? F32_IN_F64 : T;
    return [norms(T), unorm(U), update(U, false), update(U, true), updateNoBuf(U)];
  });
  kernels.push(...quantizedKernels());
  kernels.push(copyBytes());
  return `(module
  (memory (import "env" "memory") 1${shared ? ' 65536 shared' : ''})
${kernels.join('\n')}
)
`;
}

/**
 * `read_T(w, g, n) -> f64`: Σ(w + g) in the data's own type (f32x4 or f64x2
 * adds, 4 accumulators), the least work that still reads every element of
 * both operands: the floor of a norm pass on one thread.
 */
function readFloor(T) {
  const turn = { ...T, vectors: 2 };
  const body = (mode, off) => {
    const o = ops(T, mode);
    if (mode === 's') return `(local.set $s (${T.t}.add (local.get $s) (${T.t}.add ${o.load('$w', off)} ${o.load('$g', off)})))`;
    const acc = (x) => `$${x}${off}`;
    return ['w', 'g'].map((x) => `(local.set ${acc(x)} (${T.vec}.add (local.get ${acc(x)}) ${o.load(`$${x}`, off)}))`).join(' ');
  };
  const names = ['$w0', '$w16', '$g0', '$g16'];
  const widen = (x) => (T.t === 'f32' ? `(f64.promote_f32 ${x})` : x);
  return `
  (func (export "read_${T.t}") (param $w i32) (param $g i32) (param $n i32) (result f64)
    ${LOOP_LOCALS} (local $s ${T.t}) ${names.map((n) => `(local ${n} v128)`).join(' ')}
    ${loop(turn, ['$w', '$g'], body)}
    (local.set $w0 (${T.vec}.add (${T.vec}.add (local.get $w0) (local.get $w16)) (${T.vec}.add (local.get $g0) (local.get $g16))))
    ${Array.from({ length: 16 / T.size }, (_, i) => widen(`(${T.vec}.extract_lane ${i} (local.get $w0))`)).reduce((a, x) => `(f64.add ${a} ${x})`, widen('(local.get $s)'))})`;
}

/**
 * The WAT text of kernels that only the benchmark uses, to find the floors
 * of a step (not in the shipped module): `read_f32`/`read_f64` (see
 * readFloor) and `update_momentum_f32` computed in float32 arithmetic,
 * coefficients rounded to float32, as the C loop does: what the float64
 * arithmetic of the shipped float32 update costs.
 *
 * @param {{ shared: boolean }} options - whether the imported memory is shared.
 * @returns {string}
 */
export function floorKernelsWat({ shared }) {
  return `(module
  (memory (import "env" "memory") 1${shared ? ' 65536 shared' : ''})
${[coefficientGlobals(), readFloor(TYPES.f32), readFloor(TYPES.f64), update(TYPES.f32, true)].join('\n')}
)
`;
}
