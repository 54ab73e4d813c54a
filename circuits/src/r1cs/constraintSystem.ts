import { BaseError } from '../errors';
import { FIELD_MODULUS as R } from '../field';
import { encodeR1cs, encodeWtns, writeFieldElement } from './binary';

/** A linear combination Σ coefficient · wire; wire 0 is the constant 1. Coefficients are reduced mod r. */
export type Lc = Map<number, bigint>;

export const mod = (x: bigint): bigint => (x >= 0n && x < R ? x : ((x % R) + R) % R);
export const toFieldValue = (v: number | bigint): bigint => mod(typeof v === 'bigint' ? v : BigInt(v));

/** k · wire (k = 1 by default). */
export const lcOf = (wire: number, k: bigint = 1n): Lc => new Map([[wire, mod(k)]]);
export const lcConstant = (c: bigint): Lc => new Map([[0, mod(c)]]);

/** target += k · source, in place; returns target. */
export function lcAdd(target: Lc, source: Lc, k: bigint = 1n): Lc {
  for (const [wire, c] of source) {
    const sum = mod((target.get(wire) ?? 0n) + (k === 1n ? c : c * k));
    if (sum === 0n) target.delete(wire);
    else target.set(wire, sum);
  }
  return target;
}

/** target += k · wire, in place. */
export function lcAddTerm(target: Lc, wire: number, k: bigint): Lc {
  const sum = mod((target.get(wire) ?? 0n) + k);
  if (sum === 0n) target.delete(wire);
  else target.set(wire, sum);
  return target;
}

export class ConstraintUnsatisfiedError extends BaseError {
  override name = 'ConstraintUnsatisfiedError';
  constructor(what: string, index: number) {
    super('CONSTRAINT_UNSATISFIED', `constraint ${index} (${what}) does not hold for these values`, { details: what });
  }
}

export class WitnessOutOfRangeError extends BaseError {
  override name = 'WitnessOutOfRangeError';
  constructor(what: string, value: bigint, bits: number) {
    super('WITNESS_OUT_OF_RANGE', `${what}: ${value} does not fit in ${bits} bits, no witness exists`, {
      details: what,
    });
  }
}

/** Bytes of one encoded constraint term: wire u32 + coefficient. */
const TERM_BYTES = 36;
const CHUNK_BYTES = 1 << 22;

/**
 * A rank-1 constraint system being built, with its witness: every gadget allocates wires with their values and
 * states constraints A · B = C over them. Two modes share one code path, so the witness always fits the circuit
 * the compiler emitted:
 * - `record` (compile and tests) also encodes each constraint into the r1cs and checks that it holds for the values
 *   (a gadget that computes a value its constraints contradict fails right there, like a circom `Assert Failed`);
 * - `witness` (the prover) keeps only the values: no linear combination is ever built.
 * Hand-rolled because circom2's WebAssembly compiler stops at 4 GB of memory (~140k constraints) and snarkjs has no
 * constraint builder; the output is the r1cs/wtns pair snarkjs reads.
 */
export class ConstraintSystem {
  readonly recording: boolean;
  /** The witness: wire i's value in [0, r). Wire 0 is the constant 1. */
  readonly values: bigint[] = [1n];
  nConstraints = 0;
  nPublicInputs = 0;
  nPrivateInputs = 0;
  private chunks: Buffer[] = [];
  private chunk = Buffer.alloc(CHUNK_BYTES);
  private at = 0;

  constructor(mode: 'record' | 'witness') {
    this.recording = mode === 'record';
  }

  get nWires(): number {
    return this.values.length;
  }

  /** A new wire holding v (reduced mod r). */
  alloc(v: number | bigint): number {
    this.values.push(toFieldValue(v));
    return this.values.length - 1;
  }

  /** Public inputs must come first (after the constant), then private inputs, then everything else. */
  publicInput(v: number | bigint): number {
    if (this.values.length !== 1 + this.nPublicInputs) throw new Error('public inputs are allocated before any other wire');
    this.nPublicInputs++;
    return this.alloc(v);
  }

  privateInput(v: number | bigint): number {
    if (this.values.length !== 1 + this.nPublicInputs + this.nPrivateInputs)
      throw new Error('private inputs are allocated right after the public ones');
    this.nPrivateInputs++;
    return this.alloc(v);
  }

  evaluate(lc: Lc): bigint {
    let acc = 0n;
    for (const [wire, c] of lc) acc += c * this.values[wire]!;
    return acc % R;
  }

  /** A · B = C. Recording only: callers skip building the combinations in witness mode. */
  enforce(a: Lc, b: Lc, c: Lc, what: string): void {
    if (!this.recording) return;
    if ((this.evaluate(a) * this.evaluate(b)) % R !== this.evaluate(c))
      throw new ConstraintUnsatisfiedError(what, this.nConstraints);
    this.write(a);
    this.write(b);
    this.write(c);
    this.nConstraints++;
  }

  /**
   * lc = 0, as 0 · 0 = lc: the combination sits in C, which the Groth16 prover never evaluates term by term (snarkjs
   * builds A·w and B·w from the zkey's coefficients and takes C·w = (A·w)∘(B·w)), so a long linear equality (a dense
   * layer's 800-term sum) costs the prover nothing beyond its constraint.
   */
  enforceZero(lc: Lc, what: string): void {
    this.enforce(EMPTY, EMPTY, lc, what);
  }

  private write(lc: Lc): void {
    const need = 4 + TERM_BYTES * lc.size;
    if (this.at + need > this.chunk.length) {
      this.chunks.push(this.chunk.subarray(0, this.at));
      this.chunk = Buffer.alloc(Math.max(CHUNK_BYTES, need));
      this.at = 0;
    }
    const buf = this.chunk;
    buf.writeUInt32LE(lc.size, this.at);
    this.at += 4;
    // Terms in wire order, as circom writes them.
    const wires = [...lc.keys()].sort((x, y) => x - y);
    for (const wire of wires) {
      buf.writeUInt32LE(wire, this.at);
      writeFieldElement(buf, this.at + 4, lc.get(wire)!);
      this.at += TERM_BYTES;
    }
  }

  /** The circuit as a circom-compatible r1cs file (recording mode). */
  r1cs(): Buffer {
    if (!this.recording) throw new Error('a witness-only constraint system has no r1cs');
    return encodeR1cs(
      {
        nWires: this.nWires,
        nPublicOutputs: 0,
        nPublicInputs: this.nPublicInputs,
        nPrivateInputs: this.nPrivateInputs,
        nConstraints: this.nConstraints,
      },
      [...this.chunks, this.chunk.subarray(0, this.at)],
    );
  }

  wtns(): Buffer {
    return encodeWtns(this.values);
  }

  /** The public signals as snarkjs reports them (decimal strings). */
  publicSignals(): string[] {
    return this.values.slice(1, 1 + this.nPublicInputs).map(String);
  }
}

const EMPTY: Lc = new Map();
