import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { VerificationKey } from 'snarkjs';

import { rng } from '../../models/train/dense';
import { tinyMlp } from '../testing/tinyMlp';
import type { BatchSlot } from '../batch/batchCircuit';
import { batchHash } from '../batch/batchHash';
import { compileBatch, proveBatch, setupBatch, type CompiledBatch } from '../batch/compileBatch';
import { programToJson } from '../model/serialize';
import type { ModelPaths } from '../paths';
import { quantizeInput } from '../quantize/evaluateQuantized';
import type { QuantProgram } from '../quantize/types';
import { verifyGroth16 } from '../verify/groth16';
import { releaseCurves } from '../verifyInference';
import { Groth16ProverProcess, ProvingFailedError } from './prover';

const random = rng(33);
const randoms = (n: number) => Array.from({ length: n }, () => random() * 2 - 1);

const tinyProgram = (): QuantProgram => tinyMlp(random);

/**
 * A batch proof made in the prover process (what the prover daemon does, off its event loop) against the same proof
 * made in process: a batch circuit of K = 2 with an INSECURE development setup (seconds).
 */
describe('Groth16ProverProcess.proveBatch', () => {
  const program = tinyProgram();
  const slot = (k: number): BatchSlot => ({
    xq: quantizeInput(program, randoms(5)),
    inputSalt: 1000n + BigInt(k),
    outputSalt: 2000n + BigInt(k),
    jobId: 50n + BigInt(k),
    prover: 0xabcdefn,
  });
  const slots = [slot(0), slot(1)];
  let dir: string;
  let batch: CompiledBatch;
  let vkey: VerificationKey;
  const prover = new Groth16ProverProcess();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-prover-process-'));
    const paths = { dir, program: join(dir, 'program.json') } as ModelPaths;
    writeFileSync(paths.program, programToJson(program));
    batch = compileBatch({ manifest: { name: 'tiny', modelId: '777' }, paths, program }, 2);
    await setupBatch(batch, { insecureDevelopmentSetup: true });
    vkey = JSON.parse(readFileSync(batch.paths.vkey, 'utf8')) as VerificationKey;
  });
  afterAll(async () => {
    await prover.terminate();
    await releaseCurves();
    rmSync(dir, { recursive: true, force: true });
  });

  it('proves what proveBatch proves in process: the same signals and job tuples, a proof the batch key accepts', async () => {
    const local = await proveBatch(batch, program, slots);
    const child = await proveBatch(batch, program, slots, { proverProcess: prover });
    expect(child.publicSignals).toEqual(local.publicSignals);
    expect(child.publicSignals).toEqual(['777', '2', String(batchHash(local.jobs))]);
    expect(child.jobs).toEqual(local.jobs);
    expect(child.batchHash).toBe(local.batchHash);
    expect(child.proveSeconds).toBeGreaterThan(0);
    expect(await verifyGroth16(vkey, child.publicSignals, child.proof)).toBe(true);
    // One job, the rest padding: the same key.
    const one = await prover.proveBatch(batch, slots.slice(0, 1));
    expect(one.publicSignals).toEqual(['777', '1', String(batchHash(local.jobs.slice(0, 1)))]);
  });

  it('refuses a program that is not the circuit of the batch key, and bad slots, and keeps serving', async () => {
    const other = join(dir, 'other-program.json');
    writeFileSync(other, programToJson(tinyProgram()));
    await expect(prover.proveBatch({ ...batch, paths: { ...batch.paths, program: other } }, slots)).rejects.toThrow(
      ProvingFailedError,
    );
    await expect(prover.proveBatch(batch, [{ ...slots[0]!, prover: 0n }])).rejects.toThrow(/nonzero address/);
    await expect(prover.proveBatch(batch, [slot(2), slot(3), slot(4)])).rejects.toThrow(/takes 1 to 2 jobs, got 3/);
    expect((await prover.proveBatch(batch, slots)).publicSignals[1]).toBe('2');
  });
});
