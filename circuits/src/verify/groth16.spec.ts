import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as snarkjs from 'snarkjs';

import { P } from '../setup/bn254';
import { developmentSetup } from '../setup/developmentSetup';
import { writeSyntheticCircuit } from '../setup/syntheticCircuit';
import { releaseCurves } from '../verifyInference';
import { verifyGroth16 } from './groth16';

type Proof = snarkjs.Groth16Proof;

/**
 * The prepared-key verifier against snarkjs's own: the same answer on valid proofs and on every tampering, and
 * stricter where the L1 verifier is (B outside G2's order-r subgroup, non-affine or non-canonical encodings).
 */
describe('verifyGroth16', () => {
  let dir: string;
  let vkey: snarkjs.VerificationKey;
  const proofs: { proof: Proof; publicSignals: string[] }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-verify-'));
    const circuit = writeSyntheticCircuit({ dir, constraints: 200, publicSignals: 5 });
    const zkey = join(dir, 'dev.zkey');
    await developmentSetup({ r1cs: circuit.r1cs, zkey, threads: 1 });
    vkey = await snarkjs.zKey.exportVerificationKey(zkey);
    for (const [x, y] of [
      [3n, 5n],
      [2n ** 200n + 7n, 11n],
    ] as const)
      proofs.push(await snarkjs.groth16.prove(zkey, circuit.witness(x, y).wtns));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await releaseCurves();
  });

  const both = async (signals: string[], proof: Proof) => [
    await verifyGroth16(vkey, signals, proof),
    await snarkjs.groth16.verify(vkey, signals, proof),
  ];
  const bump = (s: string) => (BigInt(s) + 1n).toString();

  it('accepts what snarkjs accepts and rejects what it rejects', async () => {
    const [{ proof, publicSignals }, other] = proofs as [(typeof proofs)[0], (typeof proofs)[0]];
    expect(await both(publicSignals, proof)).toEqual([true, true]);
    expect(await both(other.publicSignals, other.proof)).toEqual([true, true]);
    for (let k = 0; k < publicSignals.length; k++) {
      const signals = publicSignals.map((s, i) => (i === k ? bump(s) : s));
      expect(await both(signals, proof)).toEqual([false, false]);
    }
    // Parts of two valid proofs mixed, A and C swapped, another proof's signals.
    expect(await both(publicSignals, { ...proof, pi_b: other.proof.pi_b })).toEqual([false, false]);
    expect(await both(publicSignals, { ...proof, pi_c: other.proof.pi_c })).toEqual([false, false]);
    expect(await both(publicSignals, { ...proof, pi_a: proof.pi_c, pi_c: proof.pi_a })).toEqual([false, false]);
    expect(await both(other.publicSignals, proof)).toEqual([false, false]);
    // A point off the curve.
    expect(await both(publicSignals, { ...proof, pi_a: [proof.pi_a[0]!, bump(proof.pi_a[1]!), '1'] })).toEqual([false, false]);
  });

  it('refuses encodings the chain reads differently: a coordinate past p, a projective z ≠ 1, wrong shapes', async () => {
    const { proof, publicSignals } = proofs[0]!;
    // x + p is the same point to snarkjs (it reduces), not to the precompile.
    const shifted = { ...proof, pi_a: [(BigInt(proof.pi_a[0]!) + P).toString(), proof.pi_a[1]!, '1'] };
    expect(await verifyGroth16(vkey, publicSignals, shifted)).toBe(false);
    // The same point in projective coordinates (x·z², y·z³, z) with z = 2: the calldata's (x, y) would be another point.
    const z = 2n;
    const projective = {
      ...proof,
      pi_a: [
        ((BigInt(proof.pi_a[0]!) * z * z) % P).toString(),
        ((BigInt(proof.pi_a[1]!) * z * z * z) % P).toString(),
        z.toString(),
      ],
    };
    expect(await snarkjs.groth16.verify(vkey, publicSignals, projective)).toBe(true);
    expect(await verifyGroth16(vkey, publicSignals, projective)).toBe(false);
    expect(await verifyGroth16(vkey, publicSignals, { ...proof, pi_a: proof.pi_a.slice(0, 2) })).toBe(false);
    expect(await verifyGroth16(vkey, publicSignals, { ...proof, pi_b: [] })).toBe(false);
    expect(await verifyGroth16(vkey, publicSignals.slice(1), proof)).toBe(false);
  });

  it('refuses a B on the twist curve but outside the order-r subgroup (snarkjs only checks the curve equation)', async () => {
    const curve = (await snarkjs.curves.getCurveFromName('bn128')) as unknown as {
      G2: {
        F: {
          fromObject(a: bigint[]): Uint8Array;
          toObject(a: Uint8Array): bigint[];
          mul(a: Uint8Array, b: Uint8Array): Uint8Array;
          add(a: Uint8Array, b: Uint8Array): Uint8Array;
          square(a: Uint8Array): Uint8Array;
          isSquare(a: Uint8Array): boolean;
          sqrt(a: Uint8Array): Uint8Array;
        };
        b: Uint8Array;
        isValid(a: Uint8Array): boolean;
        timesScalar(a: Uint8Array, s: bigint): Uint8Array;
        isZero(a: Uint8Array): boolean;
      };
    };
    const F = curve.G2.F;
    // The first x = (k, 1) with x³ + b a square: a point of the twist, of order r only with probability ~1/p.
    let point: bigint[][] | undefined;
    for (let k = 1n; !point; k++) {
      const x = F.fromObject([k, 1n]);
      const rhs = F.add(F.mul(F.square(x), x), curve.G2.b);
      if (F.isSquare(rhs)) point = [F.toObject(x), F.toObject(F.sqrt(rhs))];
    }
    const buffer = new Uint8Array(128);
    buffer.set(F.fromObject(point[0]!));
    buffer.set(F.fromObject(point[1]!), 64);
    expect(curve.G2.isValid(buffer)).toBe(true);
    const r = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    expect(curve.G2.isZero(curve.G2.timesScalar(buffer, r))).toBe(false);
    const { proof, publicSignals } = proofs[0]!;
    const pi_b = [point[0]!.map(String), point[1]!.map(String), ['1', '0']];
    expect(await verifyGroth16(vkey, publicSignals, { ...proof, pi_b })).toBe(false);
  });
});
