import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as snarkjs from 'snarkjs';

import { rng } from '../../models/train/dense';
import { tinyMlp } from '../testing/tinyMlp';
import { quantizeInput } from '../quantize/evaluateQuantized';
import { firstUnsatisfied } from '../r1cs/checkWitness';
import { synthesizeModel } from '../r1cs/synthesizeModel';
import { developmentSetup } from '../setup/developmentSetup';
import { verifyGroth16 } from '../verify/groth16';
import { releaseCurves } from '../verifyInference';
import { buildBatchR1cs, synthesizeBatch, type BatchSlot } from './batchCircuit';
import { batchHash } from './batchHash';

const random = rng(21);
const randoms = (n: number, k = 1) => Array.from({ length: n }, () => (random() * 2 - 1) * k);

const program = tinyMlp(random);
const modelId = 777n;
const slot = (k: number): BatchSlot => ({
  xq: quantizeInput(program, randoms(5)),
  inputSalt: 1000n + BigInt(k),
  outputSalt: 2000n + BigInt(k),
  jobId: 50n + BigInt(k),
  prover: 0xabcdefn,
});
const K = 4;
const slots = [slot(0), slot(1), slot(2)];

describe('batch circuit (K copies of a model, one hash over the used slots)', () => {
  const honest = synthesizeBatch({ program, modelId, size: K, slots, mode: 'record' });
  const r1cs = honest.cs.r1cs();
  const publicAt = { modelId: 1, count: 2, batchHash: 3 };

  it('commits each job exactly as its single-job proof does, and hashes the used slots in order', () => {
    expect(honest.count).toBe(3);
    expect(honest.cs.publicSignals()).toEqual([String(modelId), '3', String(honest.batchHash)]);
    slots.forEach((s, i) => {
      const single = synthesizeModel(program, modelId, s, 'witness');
      expect(honest.jobs[i]).toEqual({
        jobId: s.jobId,
        prover: s.prover,
        inputCommitment: single.inputCommitment,
        outputCommitment: single.outputCommitment,
      });
    });
    expect(honest.batchHash).toBe(batchHash(honest.jobs));
    expect(firstUnsatisfied(r1cs, honest.cs.values)).toBeUndefined();
    // The circuit does not depend on the values: one r1cs for every batch of this model and K.
    expect(buildBatchR1cs(program, modelId, K).r1cs.equals(r1cs)).toBe(true);
  });

  it('refuses a count that does not match the used slots (a padding slot claimed as a job, a job dropped)', () => {
    for (const count of [2n, 4n]) {
      const cheat = [...honest.cs.values];
      cheat[publicAt.count] = count;
      expect(firstUnsatisfied(r1cs, cheat)).toBeDefined();
    }
  });

  it('refuses another batch hash, and a hash that skips a used slot or counts a padding one', () => {
    const cheat = [...honest.cs.values];
    cheat[publicAt.batchHash] = batchHash(honest.jobs.slice(0, 2));
    expect(firstUnsatisfied(r1cs, cheat)).toBeDefined();
    cheat[publicAt.batchHash] = honest.batchHash + 1n;
    expect(firstUnsatisfied(r1cs, cheat)).toBeDefined();
  });

  it('refuses used flags that are not a prefix (a gap would let a padding slot stand in for a job)', () => {
    // Same count (3), flags 1,1,0,1. Wires: the constant, 3 public, K × (5 inputs, 2 salts, jobId, prover), then the flags.
    const usedAt = 1 + 3 + K * (5 + 4);
    expect(honest.cs.values.slice(usedAt, usedAt + K)).toEqual([1n, 1n, 1n, 0n]);
    const cheat = [...honest.cs.values];
    cheat[usedAt + 2] = 0n;
    cheat[usedAt + 3] = 1n;
    const bad = firstUnsatisfied(r1cs, cheat);
    expect(bad).toBeDefined();
  });

  it('refuses a job whose input is not the one its commitment opens to', () => {
    const cheat = [...honest.cs.values];
    const firstInput = 1 + 3; // slot 0's x[0]
    cheat[firstInput] = cheat[firstInput]! + 1n;
    expect(firstUnsatisfied(r1cs, cheat)).toBeDefined();
  });

  it('refuses a prover that is not a nonzero address (the market could never pay it)', () => {
    for (const prover of [0n, 1n << 160n])
      expect(() => synthesizeBatch({ program, modelId, size: K, slots: [{ ...slot(0), prover }], mode: 'witness' })).toThrow(
        /slot 0: the prover must be a nonzero address/,
      );
  });

  it('refuses a batch of no jobs or more jobs than slots, before any work', () => {
    expect(() => synthesizeBatch({ program, modelId, size: K, slots: [], mode: 'witness' })).toThrow(/takes 1 to 4 jobs, got 0/);
    const five = [0, 1, 2, 3, 4].map(slot);
    expect(() => synthesizeBatch({ program, modelId, size: K, slots: five, mode: 'witness' })).toThrow(
      /takes 1 to 4 jobs, got 5/,
    );
  });

  describe('as a Groth16 proof (INSECURE development setup)', () => {
    let dir: string;
    let zkey: string;
    let vkey: snarkjs.VerificationKey;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'verity-batch-'));
      writeFileSync(join(dir, 'batch.r1cs'), r1cs);
      zkey = join(dir, 'batch.zkey');
      await developmentSetup({ r1cs: join(dir, 'batch.r1cs'), zkey, threads: 2 });
      vkey = await snarkjs.zKey.exportVerificationKey(zkey);
    });
    afterAll(async () => {
      rmSync(dir, { recursive: true, force: true });
      await releaseCurves();
    });

    it('proves a batch from its witness alone; the proof holds for exactly (modelId, count, batchHash)', async () => {
      const witness = synthesizeBatch({ program, modelId, size: K, slots, mode: 'witness' });
      const { proof, publicSignals } = await snarkjs.groth16.prove(zkey, {
        type: 'mem',
        data: new Uint8Array(witness.cs.wtns()),
      });
      expect(publicSignals).toEqual([String(modelId), '3', String(batchHash(witness.jobs))]);
      expect(await verifyGroth16(vkey, publicSignals, proof)).toBe(true);
      expect(await verifyGroth16(vkey, [String(modelId), '2', publicSignals[2]!], proof)).toBe(false);
      expect(await verifyGroth16(vkey, [String(modelId), '3', String(batchHash(witness.jobs.slice(1)))], proof)).toBe(false);
    });
  });
});
