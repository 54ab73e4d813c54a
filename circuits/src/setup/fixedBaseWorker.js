// Worker thread for fixedBaseMul: k·G for many scalars k and one fixed generator G of BN254's G1 or G2, by a
// windowed fixed-base method over a precomputed table (d·2^(w·j)·G for every window j and digit d), so each product
// costs ⌈254/w⌉ mixed additions instead of ~380 doublings and additions. The curve arithmetic is the WebAssembly of
// ffjavascript (wasmcurves), compiled in the main thread and passed in as bytes: ffjavascript itself is not loaded
// here (its `web-worker` shim misbehaves outside the main thread). Points stay in Montgomery form; results are
// affine, little-endian Montgomery (snarkjs's "LEM" zkey layout). Plain CommonJS so it starts with bare Node.
/* global WebAssembly */
'use strict';
const { parentPort, workerData } = require('node:worker_threads');

const { code, pG1gen, pG2gen, windows } = workerData;
const memory = new WebAssembly.Memory({ initial: 25, maximum: 32767 });
const exports_ = new WebAssembly.Instance(new WebAssembly.Module(code), { env: { memory } }).exports;

const SCALAR_BYTES = 32;
const SCALAR_BITS = 254;

// Batch operations (batchToAffine) take their scratch space from the free pointer at address 0 without growing the
// memory, so the memory always extends this far past it.
const HEADROOM = 32 << 20;
let top = new Uint32Array(memory.buffer)[0];
/** Bump allocation above the module's static data; memory is never freed, only reset back to a mark. */
function alloc(bytes) {
  top = (top + 7) & ~7;
  const p = top;
  top += bytes;
  const needed = top + HEADROOM;
  if (needed > memory.buffer.byteLength) memory.grow(Math.ceil((needed - memory.buffer.byteLength) / 65536));
  new Uint32Array(memory.buffer)[0] = top;
  return p;
}

const GROUPS = {
  1: { gen: pG1gen, jac: 96, aff: 64, prefix: 'g1m_' },
  2: { gen: pG2gen, jac: 192, aff: 128, prefix: 'g2m_' },
};
const tables = {};

/** table(j, d) = d·2^(w·j)·G for d in 1..2^w−1, affine; built once per group. */
function tableFor(group) {
  if (tables[group]) return tables[group];
  const g = GROUPS[group];
  const f = (name) => exports_[g.prefix + name];
  const w = windows[group];
  const digits = (1 << w) - 1;
  const nWindows = Math.ceil(SCALAR_BITS / w);
  const table = alloc(nWindows * digits * g.aff);
  const scratch = alloc(digits * g.jac);
  const base = alloc(g.aff);
  const next = alloc(g.jac);
  f('toAffine')(g.gen, base);
  for (let j = 0; j < nWindows; j++) {
    f('toJacobian')(base, scratch);
    for (let d = 1; d < digits; d++) f('addMixed')(scratch + (d - 1) * g.jac, base, scratch + d * g.jac);
    f('batchToAffine')(scratch, digits, table + j * digits * g.aff);
    f('addMixed')(scratch + (digits - 1) * g.jac, base, next);
    f('toAffine')(next, base);
  }
  tables[group] = { table, w, digits, nWindows, mark: top };
  return tables[group];
}

function multiply(group, scalars) {
  const g = GROUPS[group];
  const addMixed = exports_[g.prefix + 'addMixed'];
  const zero = exports_[g.prefix + 'zero'];
  const t = tableFor(group);
  const n = scalars.length / SCALAR_BYTES;
  const mark = top;
  const pScalars = alloc(scalars.length + 4);
  const pAcc = alloc(n * g.jac);
  const pOut = alloc(n * g.aff);
  let u8 = new Uint8Array(memory.buffer);
  u8.set(scalars, pScalars);
  scalars.fill(0);
  const mask = (1 << t.w) - 1;
  for (let i = 0; i < n; i++) {
    const acc = pAcc + i * g.jac;
    const s = pScalars + i * SCALAR_BYTES;
    zero(acc);
    for (let j = 0, bit = 0; j < t.nWindows; j++, bit += t.w) {
      const byte = bit >>> 3;
      const at = s + byte;
      // Never read past this scalar's 32 bytes (the next scalar starts there).
      const word = u8[at] | (byte + 1 < SCALAR_BYTES ? u8[at + 1] << 8 : 0) | (byte + 2 < SCALAR_BYTES ? u8[at + 2] << 16 : 0);
      const d = (word >>> (bit & 7)) & mask;
      if (d !== 0) addMixed(acc, t.table + (j * t.digits + d - 1) * g.aff, acc);
    }
  }
  exports_[g.prefix + 'batchToAffine'](pAcc, n, pOut);
  u8 = new Uint8Array(memory.buffer);
  const out = u8.slice(pOut, pOut + n * g.aff);
  // The scalars are functions of the toxic waste: leave no copy behind.
  u8.fill(0, pScalars, pScalars + scalars.length + 4);
  top = mark;
  new Uint32Array(memory.buffer)[0] = top;
  return out;
}

parentPort.on('message', ({ id, group, scalars }) => {
  try {
    const points = multiply(group, scalars);
    parentPort.postMessage({ id, points }, [points.buffer]);
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
