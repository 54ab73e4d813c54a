import { readFileSync } from 'node:fs';

import { ModuleBuilder } from 'wasmbuilder';
import { buildF1m } from 'wasmcurves';

import { FIELD_MODULUS as F } from '../field';

export const N_ROUNDS_F = 8;
/** Partial rounds by width t = 2..17 (circomlib's table). */
const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

export type PoseidonConstants = { nRoundsP: number; C: bigint[]; S: bigint[]; M: bigint[]; P: bigint[] };

let source: string | undefined;
const permutations = new Map<number, Permutation>();

/** The hex constants of one `POSEIDON_<name>(t)` function of circomlib's poseidon_constants.circom, for width t. */
function constantsOf(name: 'C' | 'S' | 'M' | 'P', t: number): bigint[] {
  source ??= readFileSync(require.resolve('circomlib/circuits/poseidon_constants.circom'), 'utf8').replace(/\/\/[^\n]*/g, '');
  const start = source.indexOf(`function POSEIDON_${name}(t)`);
  const end = source.indexOf('function ', start + 1);
  const body = source.slice(start, end === -1 ? undefined : end);
  const branch = new RegExp(`t\\s*==\\s*${t}\\s*\\)`).exec(body);
  if (start === -1 || !branch) throw new Error(`circomlib has no POSEIDON_${name} constants for t = ${t}`);
  const next = body.slice(branch.index + branch[0].length).search(/t\s*==\s*\d+\s*\)|else\s*\{/);
  const block = body.slice(branch.index + branch[0].length, next === -1 ? undefined : branch.index + branch[0].length + next);
  return (block.match(/0x[0-9a-fA-F]+/g) ?? []).map((h) => BigInt(h));
}

/** circomlib's optimized constants for width t (sparse partial rounds); M and P flat, M[j·t + i] mixing in[j] into out[i]. */
const constantsByWidth = new Map<number, PoseidonConstants>();
export function poseidonConstants(t: number): PoseidonConstants {
  const cached = constantsByWidth.get(t);
  if (cached) return cached;
  const nRoundsP = N_ROUNDS_P[t - 2]!;
  const C = constantsOf('C', t);
  const S = constantsOf('S', t);
  const M = constantsOf('M', t);
  const P = constantsOf('P', t);
  if (C.length !== t * N_ROUNDS_F + nRoundsP || S.length !== nRoundsP * (2 * t - 1) || M.length !== t * t || P.length !== t * t)
    throw new Error(`circomlib's Poseidon constants for t = ${t} have unexpected sizes`);
  constantsByWidth.set(t, { nRoundsP, C, S, M, P });
  return { nRoundsP, C, S, M, P };
}

/** Montgomery form (R = 2^256) and 32-byte little-endian encoding, as wasmcurves' `frm_*` functions take elements. */
const R = (1n << 256n) % F;
function leBytes(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}

type Permutation = { run: () => void; memory: WebAssembly.Memory; input: number; output: number };

/**
 * One straight-line WebAssembly function per width, built on first use: every constant's address is known when the
 * code is generated, so the rounds unroll into calls of wasmcurves' Montgomery field operations (`frm_mul`,
 * `frm_add`, `frm_square`) on fixed addresses, with no loop, branch or allocation. Why not BigInt: a BigInt
 * multiply-and-reduce costs ~300 ns here, a Montgomery product in WebAssembly ~40 ns, and intake hashes every input.
 */
function buildPermutation(t: number): Permutation {
  const { nRoundsP, C, S, M, P } = poseidonConstants(t);
  const module = new ModuleBuilder();
  buildF1m(module, F, 'frm');
  const constant = (c: bigint) => module.alloc(leBytes((c * R) % F));
  const [pC, pS, pM, pP] = [C, S, M, P].map((list) => list.map(constant)) as [number[], number[], number[], number[]];
  const input = module.alloc(32 * t);
  const output = module.alloc(32);
  const scratch = module.alloc(64);
  const zero = module.alloc(32);
  const buffers = [module.alloc(32 * t), module.alloc(32 * t)];
  const f = module.addFunction('permute');
  const c = f.getCodeBuilder();
  const at = (base: number, i: number) => c.i32_const(base + 32 * i);
  const [sq, prod] = [c.i32_const(scratch), c.i32_const(scratch + 32)];
  let cur = 0;
  const st = (i: number) => at(buffers[cur]!, i);
  const code: number[][] = [];
  const pow5 = (x: number[]) => code.push(c.call('frm_square', x, sq), c.call('frm_square', sq, sq), c.call('frm_mul', sq, x, x));
  const addC = (x: number[], k: number) => code.push(c.call('frm_add', x, c.i32_const(pC[k]!), x));
  // out[i] = Σ_j mat[j·t + i] · in[j], into the other buffer, which becomes the state.
  const mix = (mat: number[]) => {
    const next = 1 - cur;
    for (let i = 0; i < t; i++) {
      const out = at(buffers[next]!, i);
      code.push(c.call('frm_mul', c.i32_const(mat[i]!), st(0), out));
      for (let j = 1; j < t; j++)
        code.push(c.call('frm_mul', c.i32_const(mat[j * t + i]!), st(j), prod), c.call('frm_add', out, prod, out));
    }
    cur = next;
  };
  // The state starts as [0, inputs...]; the inputs arrive in plain form.
  code.push(c.call('frm_toMontgomery', at(input, 0), st(0)));
  for (let i = 1; i < t; i++) code.push(c.call('frm_toMontgomery', at(input, i), st(i)));
  for (let i = 0; i < t; i++) addC(st(i), i);
  const half = N_ROUNDS_F / 2;
  for (let r = 0; r < half; r++) {
    for (let i = 0; i < t; i++) {
      pow5(st(i));
      addC(st(i), (r + 1) * t + i);
    }
    mix(r < half - 1 ? pM : pP);
  }
  // Partial rounds with circomlib's sparse matrices: s0 = x0^5 + c; x0' = Σ S[row + j]·x_j; x_j' = x_j + s0·S[row + t + j - 1].
  const base = (half + 1) * t;
  const width = 2 * t - 1;
  const acc = at(scratch, 0);
  for (let r = 0; r < nRoundsP; r++) {
    const row = r * width;
    pow5(st(0));
    addC(st(0), base + r);
    code.push(c.call('frm_mul', c.i32_const(pS[row]!), st(0), acc));
    for (let j = 1; j < t; j++)
      code.push(c.call('frm_mul', c.i32_const(pS[row + j]!), st(j), prod), c.call('frm_add', acc, prod, acc));
    for (let j = 1; j < t; j++)
      code.push(c.call('frm_mul', st(0), c.i32_const(pS[row + t + j - 1]!), prod), c.call('frm_add', st(j), prod, st(j)));
    code.push(c.call('frm_add', acc, c.i32_const(zero), st(0)));
  }
  for (let r = 0; r < half; r++) {
    for (let i = 0; i < t; i++) {
      pow5(st(i));
      if (r < half - 1) addC(st(i), base + nRoundsP + r * t + i);
    }
    if (r < half - 1) mix(pM);
  }
  // Only the first element of the last mix is the hash.
  code.push(c.call('frm_mul', c.i32_const(pM[0]!), st(0), at(output, 0)));
  for (let j = 1; j < t; j++)
    code.push(c.call('frm_mul', c.i32_const(pM[j * t]!), st(j), prod), c.call('frm_add', at(output, 0), prod, at(output, 0)));
  code.push(c.call('frm_fromMontgomery', at(output, 0), at(output, 0)));
  // One instruction at a time: wasmbuilder spreads its arguments, and a wide permutation has thousands.
  for (const instruction of code) f.addCode(instruction);
  module.exportFunction('permute');
  const pages = Math.ceil((module as unknown as { free: number }).free / 65536) + 1;
  module.setMemory(pages);
  const memory = new WebAssembly.Memory({ initial: pages });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.from(module.build())), { env: { memory } });
  return { run: instance.exports.permute as () => void, memory, input, output };
}

export type PoseidonParameters = readonly bigint[];
export type PoseidonReturnType = bigint;

/**
 * Poseidon over BN254 with 1..16 inputs: the same function as circomlib's `Poseidon(n)` template (and poseidon-lite),
 * computed the way the template does it, with circomlib's optimized constants (sparse partial rounds), in
 * WebAssembly (see buildPermutation). Job intake commits every request's input with it. Inputs are taken modulo the
 * field.
 *
 * @example poseidon([1n, 2n]) // Poseidon2(1, 2)
 */
export function poseidon(inputs: PoseidonParameters): PoseidonReturnType {
  if (inputs.length < 1 || inputs.length > N_ROUNDS_P.length) throw new Error('Poseidon takes 1 to 16 inputs');
  const t = inputs.length + 1;
  let permutation = permutations.get(t);
  if (!permutation) {
    permutation = buildPermutation(t);
    permutations.set(t, permutation);
  }
  const view = new DataView(permutation.memory.buffer);
  // Slot 0 is the state's initial zero; each input as four little-endian 64-bit words.
  for (let i = 0; i < t; i++) {
    let x = i === 0 ? 0n : ((inputs[i - 1]! % F) + F) % F;
    for (let w = 0; w < 4; w++, x >>= 64n) view.setBigUint64(permutation.input + 32 * i + 8 * w, BigInt.asUintN(64, x), true);
  }
  permutation.run();
  let out = 0n;
  for (let w = 3; w >= 0; w--) out = (out << 64n) | view.getBigUint64(permutation.output + 8 * w, true);
  return out;
}
