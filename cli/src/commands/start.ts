import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Command } from 'commander';
import { JsonRpcProvider, parseUnits } from 'ethers';

import { BridgeClient, formatAmount } from '@verity/bridge';
import {
  compileModel,
  loadMnist,
  REFERENCE_MODELS,
  referenceCompileParameters,
  releaseCurves,
  setupModel,
  sharedProver,
  type CompiledModel,
} from '@verity/circuits';
import { dropDatabase, ensureDatabase, InvalidArgumentError, nestLogger, startEmbeddedPostgres } from '@verity/core';
import { ProverDaemon } from '@verity/prover';
import { clearDevnetState, devnetRoleKey, type Devnet } from '@verity/rollup';
import { AppModule, configureApp, loadSequencerConfig } from '@verity/sequencer';
import { depositToMarket, ensureProverStake, l2Balances } from '../actions/l2Vty';
import { publishModel, referenceOnnxFile } from '../actions/publishModel';
import { submitJob } from '../actions/submitJob';
import { registeredModel, verifyJob } from '../actions/verifyJob';
import type { CliConfig } from '../config';
import { saveJobRecord } from '../jobStore';
import { say, table } from '../output';
import { SequencerApi } from '../sequencerApi';
import { runDeposit, runWithdrawal } from './bridge';
import { bootDevnet, printDevnetSummary, runUntilSignal } from './devnet';

const VTY = (n: string) => parseUnits(n, 18);
/** A rough first-run cost of each reference model's setup (powers of tau generated once, then cached). */
const FIRST_SETUP: Record<string, string> = { 'iris-mlp': '~1 min', 'mnist-mlp': '~7 min', 'mnist-cnn': '~25 min' };

type Started = { stop(): Promise<void> };

/**
 * PostgreSQL for the relayer and the sequencer: DATABASE_URL if set, else two embedded PGlite databases. Either is
 * emptied first: every start boots a new devnet, and state kept from an earlier one (a relayer cursor, the
 * sequencer's transactions and nonces, its jobs) would describe chains that no longer exist (a second start would
 * sign at a nonce the new chain never reaches, and wait forever).
 */
async function startDatabases(config: CliConfig): Promise<{ relayer: string; sequencer: string; poolSize: number } & Started> {
  const url = config.cli.databaseUrl;
  if (url) {
    say(`PostgreSQL database ${new URL(url).pathname.slice(1) || '(default)'} (DATABASE_URL), emptied for the new devnet`);
    await dropDatabase(url);
    await ensureDatabase(url);
    return { relayer: url, sequencer: url, poolSize: 10, stop: async () => undefined };
  }
  const dir = resolve('.verity', 'pglite');
  say(`embedded PostgreSQL (PGlite) in ${dir}, fresh for the new devnet (set DATABASE_URL to use a server)`);
  rmSync(dir, { recursive: true, force: true });
  // One instance each: a PGlite is a single session, and the relayer and the sequencer both use transactions.
  const relayer = await startEmbeddedPostgres({ dataDir: join(dir, 'relayer') });
  const sequencer = await startEmbeddedPostgres({ dataDir: join(dir, 'sequencer') }).catch(async (err: unknown) => {
    await relayer.stop();
    throw err;
  });
  return {
    relayer: relayer.url,
    sequencer: sequencer.url,
    poolSize: 1,
    stop: async () => {
      await Promise.allSettled([relayer.stop(), sequencer.stop()]);
    },
  };
}

/** Compiles and sets up each reference model (cached after the first run), showing what takes time. */
async function prepareModels(names: string[]): Promise<CompiledModel[]> {
  const models: CompiledModel[] = [];
  for (const name of names) {
    const spec = REFERENCE_MODELS[name];
    if (!spec) throw new InvalidArgumentError(`unknown reference model '${name}' (${Object.keys(REFERENCE_MODELS).join(', ')})`);
    const started = Date.now();
    const model = await compileModel({
      ...referenceCompileParameters(spec),
      onProgress: (step) => say(`  ${name}: ${step}…`),
    });
    await setupModel({
      model,
      onProgress: (step) =>
        say(`  ${name}: ${step}${/powers of tau/.test(step) ? ` (first run only, ${FIRST_SETUP[name] ?? 'minutes'})` : ''}…`),
    });
    say(`✔ ${name}: ${model.manifest.constraints} constraints, ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    models.push(model);
  }
  return models;
}

async function startSequencer(devnet: Devnet, databaseUrl: string, poolSize: number, port: number) {
  const config = loadSequencerConfig({
    SEQUENCER_HOST: '127.0.0.1',
    SEQUENCER_PORT: String(port),
    SEQUENCER_DATABASE_URL: databaseUrl,
    SEQUENCER_DATABASE_POOL_SIZE: String(poolSize),
    SEQUENCER_LEADER_ELECTION: poolSize === 1 ? 'off' : 'on',
    SEQUENCER_DEPLOYMENT_FILE: devnet.deploymentFile,
    SEQUENCER_PRIVATE_KEY: devnetRoleKey('sequencer'),
    SEQUENCER_ARTIFACTS_DIR: resolve('.verity', 'artifacts'),
    SEQUENCER_SETTLE_BATCH_AGE_MS: '2000',
    LOG_LEVEL: 'warn',
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    logger: nestLogger(),
    bodyParser: false,
  });
  configureApp(app, config, { shutdownHooks: false });
  await app.listen(config.http.port, config.http.host);
  return { app, url: `http://127.0.0.1:${config.http.port || (app.getHttpServer().address() as { port: number }).port}` };
}

/** Prints each status change of a job with the transaction that caused it, until it is released (or ends). */
async function followJob(api: SequencerApi, jobId: string): Promise<void> {
  const labels: Record<string, string> = {
    accepted: 'accepted by the sequencer (stored before the answer)',
    open: 'opened on L2: reward + fee moved into escrow',
    proving: 'leased by a prover',
    proven: 'proven: proof and opening verified by the sequencer',
    batched: 'batched for settlement',
    settled: 'settled on L1: the batch’s proofs verified in one pairing check',
    released: 'released on L2: the prover is paid',
  };
  for await (const e of api.events(jobId)) {
    const d = e.details;
    const extra = [
      d.txHash ? `tx ${String(d.txHash)}` : '',
      d.prover ? `prover ${String(d.prover)}` : '',
      d.l1BatchId ? `L1 batch ${String(d.l1BatchId)}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    say(`${e.status === 'released' ? '✔' : '•'} ${labels[e.status] ?? e.status}${extra ? ` (${extra})` : ''}`);
    if (['released', 'rejected', 'expired', 'refunded', 'failed'].includes(e.status)) return;
  }
}

/**
 * `npm start`: the whole stack on embedded defaults, working end to end. The devnet and Verity's contracts, the
 * reference models compiled, set up and registered, the sequencer (API and batchers) and one prover; then a demo job
 * from request to reward, each step with its transaction, the result verified against the key on L1, and the
 * prover's reward withdrawn to L1. Everything keeps serving until Ctrl-C, unless --exit.
 */
export function registerStartCommand(program: Command, getConfig: (defaults?: Record<string, string>) => CliConfig): void {
  program
    .command('start')
    .description('boot the whole stack and run a demo inference job from request to reward')
    .option('--exit', 'stop once the demo is done')
    .option('--models <names>', 'reference models to set up and register', 'iris-mlp,mnist-mlp')
    .option('--port <port>', 'sequencer API port (0: a free one)', '3000')
    .action(async (options: { exit?: boolean; models: string; port: string }) => {
      // The demo's own lines tell the story: the services only log warnings unless LOG_LEVEL asks for more.
      const config = getConfig({ LOG_LEVEL: 'warn' });
      if (!/^\d{1,5}$/.test(options.port) || Number(options.port) > 65535)
        throw new InvalidArgumentError(`invalid --port '${options.port}'`);
      const names = options.models.split(',').filter(Boolean);
      const stops: (() => Promise<void>)[] = [];
      const stopAll = async () => {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
        await sharedProver().terminate();
        await releaseCurves();
      };
      try {
        say('models (compiled and set up once, then cached):');
        const models = await prepareModels(names);
        const databases = await startDatabases(config);
        stops.push(databases.stop);
        const devnet = await bootDevnet(config, { url: databases.relayer, poolSize: databases.poolSize });
        stops.push(async () => {
          await devnet.stop();
          clearDevnetState(config.devnet.stateFile);
        });
        printDevnetSummary(devnet);
        const sequencer = await startSequencer(devnet, databases.sequencer, databases.poolSize, Number(options.port));
        stops.push(() => sequencer.app.close());
        const api = new SequencerApi(sequencer.url);
        say(`sequencer API on ${sequencer.url} (OpenAPI at ${sequencer.url}/docs, metrics at /metrics)`);
        const l1 = new JsonRpcProvider(devnet.deployment.l1.rpcUrl, devnet.deployment.l1.chainId, {
          staticNetwork: true,
          cacheTimeout: -1,
        });
        const l2 = new JsonRpcProvider(devnet.deployment.l2.rpcUrl, devnet.deployment.l2.chainId, {
          staticNetwork: true,
          cacheTimeout: -1,
        });
        stops.push(async () => {
          l1.destroy();
          l2.destroy();
        });
        for (const model of models) {
          const published = await publishModel({
            model,
            onnxFile: referenceOnnxFile(model.manifest.name),
            deployment: devnet.deployment,
            l1,
            api,
            publisherKey: devnetRoleKey('deployer'),
          });
          say(
            `✔ ${model.manifest.name} registered on L1 (tx ${published.l1TxHash}, gas ${published.l1Gas}) and published to the sequencer`,
          );
        }

        say('');
        say('a prover joins: bridges VTY to L2 and stakes');
        const proverBridge = new BridgeClient({ deployment: devnet.deployment, privateKey: devnetRoleKey('prover') });
        await runDeposit(proverBridge, devnet.deployment, 'VTY', VTY('200'));
        const staked = await ensureProverStake(devnet.deployment, l2, devnetRoleKey('prover'));
        say(`✔ staked ${devnet.deployment.verity!.market.minProverStake} wei in ProverRegistry (tx ${staked})`);
        const daemon = new ProverDaemon({
          sequencerUrl: sequencer.url,
          privateKey: devnetRoleKey('prover'),
          cacheDir: resolve('.verity', 'models'),
          market: { chainId: devnet.deployment.l2.chainId, address: devnet.deployment.verity!.l2.InferenceMarket },
        });
        await daemon.start();
        stops.push(() => daemon.stop());

        say('');
        const demoModel = names.includes('mnist-mlp') ? 'mnist-mlp' : names[0]!;
        const digit = loadMnist().find((s) => s.test && s.y === 7)!;
        const input = demoModel.startsWith('mnist') ? Array.from(digit.x) : [6.7, 3.0, 5.2, 2.3];
        say(
          `demo: alice asks ${demoModel} about ${demoModel.startsWith('mnist') ? 'a handwritten 7 from the test set' : 'a virginica flower'}`,
        );
        const alice = new BridgeClient({ deployment: devnet.deployment, privateKey: devnetRoleKey('alice') });
        await runDeposit(alice, devnet.deployment, 'VTY', VTY('100'));
        const deposit = await depositToMarket(devnet.deployment, l2, devnetRoleKey('alice'), VTY('10'));
        say(`✔ 10 VTY into her prepaid market balance (tx ${deposit})`);
        const submitted = await submitJob({
          api,
          deployment: devnet.deployment,
          model: demoModel,
          input,
          privateKey: devnetRoleKey('alice'),
          reward: VTY('1'),
          deadlineSeconds: 3600,
        });
        say(
          `✔ job ${submitted.jobId} signed (EIP-712) and submitted: reward 1 VTY, fee ${formatAmount(BigInt(submitted.fee), 18)} VTY`,
        );
        const record = {
          jobId: submitted.jobId,
          sequencerUrl: sequencer.url,
          modelId: submitted.request.modelId.toString(),
          modelName: demoModel,
          inputCommitment: submitted.request.inputCommitment.toString(),
          input,
          inputSalt: submitted.inputSalt,
          accessToken: submitted.accessToken,
          submittedAt: new Date().toISOString(),
        };
        saveJobRecord(config.cli.home, record);
        const proverBefore = (await l2Balances(devnet.deployment, l2, daemon.address)).vty;
        await followJob(api, submitted.jobId);
        const view = await api.job(submitted.jobId, submitted.accessToken);
        const output = await verifyJob({
          jobId: submitted.jobId,
          job: view,
          record,
          model: await registeredModel(l1, devnet.deployment.verity!.l1.ModelRegistry, record.modelId),
        });
        say(`✔ alice verified the result locally against the key registered on L1: class ${output.argmax}`);
        table([['output', `[${output.values.map((v) => v.toFixed(2)).join(', ')}]`]]);
        const earned = (await l2Balances(devnet.deployment, l2, daemon.address)).vty - proverBefore;
        say(`✔ the prover earned ${formatAmount(earned, 18)} VTY on L2`);
        say('');
        say('the prover withdraws its reward to L1');
        await runWithdrawal(proverBridge, devnet.deployment, 'VTY', earned);
        say('');
        say(
          options.exit
            ? 'demo done'
            : `demo done: everything keeps running (Ctrl-C to stop); try \`verity job get ${submitted.jobId}\``,
        );
        if (!options.exit) await runUntilSignal(config, devnet);
      } finally {
        await stopAll();
      }
    });
}
