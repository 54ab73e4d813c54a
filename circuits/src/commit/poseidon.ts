import { readFileSync } from 'node:fs';

import { FIELD_MODULUS as F } from '../field';

const N_ROUNDS_F = 8;
/** Partial rounds by width t = 2..17 (circomlib's table). */
const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];

type Constants = { t: number; nRoundsP: number; C: bigint[]; S: bigint[]; MT: bigint[][]; PT: bigint[][] };

let source: string | undefined;
const byWidth = new Map<number, Constants>();

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

/** circomlib's optimized constants for width t (sparse partial rounds), with the matrices transposed for row access. */
function constants(t: number): Constants {
  let k = byWidth.get(t);
  if (k) return k;
  const nRoundsP = N_ROUNDS_P[t - 2]!;
  const C = constantsOf('C', t);
  const S = constantsOf('S', t);
  const M = constantsOf('M', t);
  const P = constantsOf('P', t);
  if (C.length !== t * N_ROUNDS_F + nRoundsP || S.length !== nRoundsP * (2 * t - 1) || M.length !== t * t || P.length !== t * t)
    throw new Error(`circomlib's Poseidon constants for t = ${t} have unexpected sizes`);
  // The circuit mixes with out[i] = Σ_j M[j][i]·in[j]: row i of the transpose.
  const transpose = (m: bigint[]) => Array.from({ length: t }, (_, i) => Array.from({ length: t }, (_, j) => m[j * t + i]!));
  k = { t, nRoundsP, C, S, MT: transpose(M), PT: transpose(P) };
  byWidth.set(t, k);
  return k;
}

const pow5 = (a: bigint): bigint => {
  const a2 = (a * a) % F;
  return (((a2 * a2) % F) * a) % F;
};

function mix(state: bigint[], rows: bigint[][]): bigint[] {
  const out = new Array<bigint>(state.length);
  for (let i = 0; i < state.length; i++) {
    const row = rows[i]!;
    let acc = 0n;
    for (let j = 0; j < state.length; j++) acc += row[j]! * state[j]!;
    out[i] = acc % F;
  }
  return out;
}

export type PoseidonParameters = readonly bigint[];
export type PoseidonReturnType = bigint;

/**
 * Poseidon over BN254 with 1..16 inputs: the same function as circomlib's `Poseidon(n)` template (and poseidon-lite),
 * computed the way the template does it, with circomlib's optimized constants: the partial rounds multiply by a sparse
 * matrix (2t - 1 products instead of t²), about half the work of the textbook permutation. Job intake commits every
 * request's input with it. Inputs are taken modulo the field.
 *
 * @example poseidon([1n, 2n]) // Poseidon2(1, 2)
 */
export function poseidon(inputs: PoseidonParameters): PoseidonReturnType {
  if (inputs.length < 1 || inputs.length > N_ROUNDS_P.length) throw new Error('Poseidon takes 1 to 16 inputs');
  const t = inputs.length + 1;
  const { nRoundsP, C, S, MT, PT } = constants(t);
  const half = N_ROUNDS_F / 2;
  let state = [0n, ...inputs.map((x) => ((x % F) + F) % F)];
  for (let i = 0; i < t; i++) state[i] = state[i]! + C[i]!;
  for (let r = 0; r < half - 1; r++) {
    for (let i = 0; i < t; i++) state[i] = pow5(state[i]!) + C[(r + 1) * t + i]!;
    state = mix(state, MT);
  }
  for (let i = 0; i < t; i++) state[i] = pow5(state[i]!) + C[half * t + i]!;
  state = mix(state, PT);
  const base = (half + 1) * t;
  const width = 2 * t - 1;
  for (let r = 0; r < nRoundsP; r++) {
    const s0 = pow5(state[0]!) + C[base + r]!;
    const row = r * width;
    let acc = S[row]! * s0;
    for (let j = 1; j < t; j++) acc += S[row + j]! * state[j]!;
    for (let j = 1; j < t; j++) state[j] = (state[j]! + s0 * S[row + t + j - 1]!) % F;
    state[0] = acc % F;
  }
  for (let r = 0; r < half - 1; r++) {
    for (let i = 0; i < t; i++) state[i] = pow5(state[i]!) + C[base + nRoundsP + r * t + i]!;
    state = mix(state, MT);
  }
  for (let i = 0; i < t; i++) state[i] = pow5(state[i]!);
  const last = MT[0]!;
  let out = 0n;
  for (let j = 0; j < t; j++) out += last[j]! * state[j]!;
  return out % F;
}
