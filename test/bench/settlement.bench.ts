/**
 * npm run bench:settlement — what settlement costs on the devnet's real contracts (OP Bedrock messenger and portal
 * included): L1 gas per job of `settleBatch` for batches of 1, 8, 32 and 64 jobs of one model and of a mix of the
 * reference models, beside one proof per call; the gas of the L1 → L2 message; the L2 gas per job of `openJobs` and
 * `releaseBatch`. Prints one JSON line, then a table.
 *
 * Proofs are real. Each model gets PROOFS distinct proofs; larger batches repeat them (L1 verifies every entry
 * again and does not care that a job appears twice: L2 is where a job is paid once). The 32-job batch of the first
 * model is a full flow: 32 requests opened on L2, proven, settled, the message relayed, released on L2.
 * Models: BENCH_MODELS (default: every reference model whose setup is cached, iris-mlp at least).
 *
 * The batch-proof path (issue: batch proofs): for K = BENCH_BATCH_SIZES (8, 32, 64) the batch circuit of K copies of
 * BENCH_BATCH_MODEL (iris-mlp) is compiled and set up (INSECURE development setup: the key's format and L1's
 * verification cost are the same as a ceremony's), its key registered, K jobs proven as one batch (the prover's
 * witness and prove seconds, and the peak RSS of this process while it proves), and `settleProvenBatch` sent: L1 gas
 * of the whole transaction over K.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { NonceManager, Wallet, parseUnits, type TransactionReceipt } from 'ethers';

import {
  compileBatch,
  compileModel,
  proveBatch,
  proveInference,
  randomSalt,
  REFERENCE_MODELS,
  referenceCompileParameters,
  quantizeInput,
  releaseCurves,
  setupBatch,
  setupModel,
  sharedProver,
  type CompiledModel,
} from '@verity/circuits';
import {
  InferenceMarket__factory,
  InferenceSettlement__factory,
  L1CrossDomainMessenger__factory,
  ModelRegistry__factory,
  SNARK_SCALAR_FIELD,
  toSolidityProof,
  toSolidityVerifyingKey,
} from '@verity/contracts';
import { ProverDaemon } from '@verity/prover';
import { devnetRoleKey } from '@verity/rollup';
import { DataSource } from 'typeorm';
import { advanceL1Time, startTestDevnet } from '../helpers/devnet';
import { bridgeVty, fundMarket, publishModel, signJob, stakeProver, startTestSequencer } from '../helpers/market';

const PROOFS = Number(process.env.BENCH_PROOFS ?? 8);
const SIZES = [1, 8, 32, 64];
const BATCH_SIZES = (process.env.BENCH_BATCH_SIZES ?? '8,32,64').split(',').map(Number);
const BATCH_MODEL = process.env.BENCH_BATCH_MODEL ?? 'iris-mlp';

type Entry = {
  job: { modelId: string; inputCommitment: string; outputCommitment: string; jobId: string; prover: string };
  proof: ReturnType<typeof toSolidityProof>;
};

async function loadModels(): Promise<CompiledModel[]> {
  const wanted = process.env.BENCH_MODELS?.split(',') ?? Object.keys(REFERENCE_MODELS);
  const models: CompiledModel[] = [];
  for (const name of wanted) {
    const spec = REFERENCE_MODELS[name]!;
    const model = await compileModel(referenceCompileParameters(spec));
    // Only models set up already (a first setup of mnist-cnn generates 2^16 powers of tau: ~25 min); iris always.
    if (!existsSync(model.paths.zkey) && name !== 'iris-mlp' && !process.env.BENCH_MODELS) continue;
    await setupModel({ model });
    models.push(model);
  }
  return models;
}

function sample(name: string, i: number): number[] {
  if (name === 'iris-mlp')
    return [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
      [5.9, 3.0, 4.2, 1.5],
    ][i % 3]!;
  return Array.from({ length: 784 }, (_, k) => ((k * 7 + i * 13) % 29) / 29);
}

async function main(): Promise<void> {
  const models = await loadModels();
  const devnet = await startTestDevnet();
  const sequencer = await startTestSequencer(devnet);
  const settler = new NonceManager(new Wallet(devnetRoleKey('sequencer'), devnet.l1Provider));
  const settlement = InferenceSettlement__factory.connect(devnet.deployment.verity!.l1.InferenceSettlement, settler);
  const result: Record<string, unknown> = {
    machine: `${cpus().length} cores, ${cpus()[0]?.model ?? ''}`.trim(),
    models: models.map((m) => m.manifest.name),
  };
  const rows: [string, string][] = [];
  try {
    const proofs = new Map<string, Entry[]>();
    for (const model of models) {
      await publishModel(devnet, sequencer.url, model);
      const entries: Entry[] = [];
      for (let i = 0; i < PROOFS; i++) {
        const prover = Wallet.createRandom().address;
        const proved = await proveInference({
          model,
          input: sample(model.manifest.name, i),
          inputSalt: randomSalt(),
          jobId: BigInt(Wallet.createRandom().address) % SNARK_SCALAR_FIELD,
          prover,
        });
        const [modelId, inputCommitment, outputCommitment, jobId] = proved.publicSignals as [string, string, string, string];
        entries.push({
          job: { modelId, inputCommitment, outputCommitment, jobId, prover },
          proof: toSolidityProof(proved.proof),
        });
      }
      proofs.set(model.manifest.name, entries);
    }

    process.stderr.write(`proofs ready: ${[...proofs.values()].reduce((a, e) => a + e.length, 0)}\n`);
    const send = async (entries: Entry[]): Promise<TransactionReceipt> => {
      const tx = await settlement.settleBatch(
        entries.map((e) => e.job),
        entries.map((e) => e.proof),
        { gasLimit: 30_000_000 },
      );
      return (await tx.wait())!;
    };
    const perJob: Record<string, Record<number, number>> = {};
    const batchOf = (pool: Entry[][], n: number) =>
      Array.from({ length: n }, (_, i) => pool[i % pool.length]![Math.floor(i / pool.length) % PROOFS]!);
    for (const model of models) {
      perJob[model.manifest.name] = {};
      for (const n of SIZES)
        perJob[model.manifest.name]![n] = Math.round(
          Number((await send(batchOf([proofs.get(model.manifest.name)!], n))).gasUsed) / n,
        );
    }
    if (models.length > 1) {
      perJob.mix = {};
      for (const n of SIZES) perJob.mix[n] = Math.round(Number((await send(batchOf([...proofs.values()], n))).gasUsed) / n);
    }
    result.l1GasPerJob = perJob;

    // One proof per call: verifyProof as a transaction (what a per-job settlement would pay at least).
    const one = proofs.get(models[0]!.manifest.name)![0]!;
    const single = await (
      await settler.sendTransaction({
        to: await settlement.getAddress(),
        data: settlement.interface.encodeFunctionData('verifyProof', [one.job, one.proof]),
        gasLimit: 2_000_000,
      })
    ).wait();
    result.l1GasOneProofPerCall = Number(single!.gasUsed);

    // The message alone: the same sendMessage settleBatch makes (target, 3-word payload, gas limit), from an EOA.
    const messenger = L1CrossDomainMessenger__factory.connect(devnet.deployment.l1.contracts.L1CrossDomainMessenger, settler);
    const market = InferenceMarket__factory.connect(devnet.deployment.verity!.l2.InferenceMarket, devnet.l2Provider);
    const payload = market.interface.encodeFunctionData('recordSettledBatch', [999_999, '0x' + '11'.repeat(32), 32]);
    const message = await (
      await messenger.sendMessage(await market.getAddress(), payload, await settlement.releaseGasLimit(), { gasLimit: 2_000_000 })
    ).wait();
    const basefee = (await devnet.l1Provider.getBlock('latest'))!.baseFeePerGas ?? 0n;
    result.l1GasMessage = Number(message!.gasUsed);
    result.l1BaseFeeWei = basefee.toString();

    // The full flow for 32 jobs of the first model: L2 gas of openJobs and releaseBatch per job.
    const model = models[0]!;
    await bridgeVty(devnet, 'alice', parseUnits('100', 18));
    await fundMarket(devnet, 'alice', parseUnits('50', 18));
    const n = 32;
    process.stderr.write(`one-model and mixed batches measured\n`);
    const signed = [];
    for (let i = 0; i < n; i++)
      signed.push(
        await signJob(devnet, model, 'alice', sample(model.manifest.name, i), {
          reward: parseUnits('0.1', 18),
          maxFee: parseUnits('0.01', 18),
        }),
      );
    for (const s of signed) {
      const res = await fetch(`${sequencer.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(s.body),
      });
      if (res.status !== 202) throw new Error(`job refused: ${await res.text()}`);
    }
    const db = sequencer.app.get(DataSource);
    process.stderr.write('opening 32 jobs on L2\n');
    await sequencer.open();
    const openGas = (await db.query(
      `SELECT gas_used FROM chain_txs WHERE purpose LIKE 'openJobs%' ORDER BY id DESC LIMIT 1`,
    )) as { gas_used: string }[];
    result.l2GasOpenJobsPerJob = Math.round(Number(openGas[0]!.gas_used) / n);
    // Prove them as a prover would, through the API.
    await bridgeVty(devnet, 'prover', parseUnits('200', 18));
    await stakeProver(devnet, 'prover', parseUnits('100', 18));
    const daemon = new ProverDaemon({
      sequencerUrl: sequencer.url,
      privateKey: devnetRoleKey('prover'),
      cacheDir: mkdtempSync(join(tmpdir(), 'bench-')),
      pollIntervalMs: 20,
    });
    process.stderr.write('proving 32 jobs\n');
    await daemon.start();
    while (daemon.proved.length < n) await new Promise((r) => setTimeout(r, 100));
    await daemon.stop();
    process.stderr.write('settling\n');
    await sequencer.settle();
    const settleGas = (await db.query(
      `SELECT gas_used FROM chain_txs WHERE purpose LIKE 'settleBatch%' ORDER BY id DESC LIMIT 1`,
    )) as { gas_used: string }[];
    result.l1GasPerJobFullFlow32 = Math.round(Number(settleGas[0]!.gas_used) / n);
    await devnet.relayer.step();
    await sequencer.release();
    const releaseGas = (await db.query(
      `SELECT gas_used FROM chain_txs WHERE purpose LIKE 'release batch%' ORDER BY id DESC LIMIT 1`,
    )) as { gas_used: string }[];
    result.l2GasReleaseBatchPerJob = Math.round(Number(releaseGas[0]!.gas_used) / n);
    result.proveSecondsPerJob = daemon.proved.reduce((a, p) => a + p.proveSeconds, 0) / n;

    // The batch-proof path: one proof for K jobs of one prover and one model.
    const batchModel = models.find((m) => m.manifest.name === BATCH_MODEL) ?? models[0]!;
    const publisher = new NonceManager(new Wallet(devnetRoleKey('deployer'), devnet.l1Provider));
    const registry = ModelRegistry__factory.connect(devnet.deployment.verity!.l1.ModelRegistry, publisher);
    // The sequencer has been sending with the settler's key meanwhile: the publisher's key settles these batches.
    const batchSettlement = InferenceSettlement__factory.connect(devnet.deployment.verity!.l1.InferenceSettlement, publisher);
    const batchRows: Record<number, Record<string, number>> = {};
    for (const K of BATCH_SIZES) {
      process.stderr.write(`batch proof, K = ${K}\n`);
      const batch = compileBatch(batchModel, K);
      const setup = await setupBatch(batch, { insecureDevelopmentSetup: true });
      const vk = JSON.parse(readFileSync(batch.paths.vkey, 'utf8')) as Parameters<typeof toSolidityVerifyingKey>[0];
      const modelId = BigInt(batchModel.manifest.modelId);
      await (await registry.registerBatchKey(modelId, K, toSolidityVerifyingKey(vk), '0x' + batch.manifest.r1csSha256)).wait();
      await advanceL1Time(devnet, Number(await registry.deactivationDelay()) + 1); // the key's activation delay
      const prover = BigInt(Wallet.createRandom().address);
      const slots = Array.from({ length: K }, (_, i) => ({
        xq: quantizeInput(batchModel.program, sample(batchModel.manifest.name, i)),
        inputSalt: BigInt(randomSalt()),
        outputSalt: BigInt(randomSalt()),
        jobId: BigInt(Wallet.createRandom().address) % SNARK_SCALAR_FIELD,
        prover,
      }));
      let peakRss = process.memoryUsage().rss;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
      const proved = await proveBatch(batch, batchModel.program, slots).finally(() => clearInterval(sampler));
      const receipt = await (
        await batchSettlement.settleProvenBatch(modelId, K, K, proved.batchHash, toSolidityProof(proved.proof), {
          gasLimit: 2_000_000,
        })
      ).wait();
      batchRows[K] = {
        constraints: batch.manifest.constraints,
        setupSeconds: Number(setup.seconds.toFixed(1)),
        witnessSeconds: Number(proved.witnessSeconds.toFixed(2)),
        proveSeconds: Number(proved.proveSeconds.toFixed(2)),
        peakRssMb: Math.round(peakRss / 2 ** 20),
        l1Gas: Number(receipt!.gasUsed),
        l1GasPerJob: Math.round(Number(receipt!.gasUsed) / K),
      };
    }
    result.batchProof = { model: batchModel.manifest.name, setup: 'INSECURE development', bySize: batchRows };

    process.stdout.write(JSON.stringify(result) + '\n\n');
    for (const [name, sizes] of Object.entries(perJob))
      rows.push([`L1 gas/job, ${name}`, SIZES.map((s) => `n=${s}: ${sizes[s]!.toLocaleString('en-US')}`).join('  ')]);
    rows.push(['L1 gas, one proof per call (verifyProof tx)', String(result.l1GasOneProofPerCall)]);
    rows.push([`L1 gas, the L1→L2 message alone (basefee ${basefee} wei)`, String(result.l1GasMessage)]);
    rows.push(['L1 gas/job, 32-job batch of the full flow', String(result.l1GasPerJobFullFlow32)]);
    rows.push(['L2 gas/job, openJobs (32)', String(result.l2GasOpenJobsPerJob)]);
    rows.push(['L2 gas/job, releaseBatch (32)', String(result.l2GasReleaseBatchPerJob)]);
    for (const [K, r] of Object.entries(batchRows))
      rows.push([
        `batch proof, ${batchModel.manifest.name} K=${K}`,
        `L1 gas/job ${r.l1GasPerJob!.toLocaleString('en-US')} (tx ${r.l1Gas!.toLocaleString('en-US')}); ` +
          `${r.constraints!.toLocaleString('en-US')} constraints; prove ${r.proveSeconds} s + witness ${r.witnessSeconds} s; ` +
          `peak RSS ${r.peakRssMb} MB; dev setup ${r.setupSeconds} s`,
      ]);
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
  } finally {
    await sequencer.stop();
    await devnet.stop();
    await sharedProver().terminate();
    await releaseCurves();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
