import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Contract, NonceManager, Wallet, parseUnits } from 'ethers';

import { BridgeClient } from '@verity/bridge';
import {
  COMMIT_DOMAIN,
  commitVector,
  compileBatch,
  compileModel,
  quantizeInput,
  randomSalt,
  REFERENCE_MODELS,
  referenceCompileParameters,
  setupBatch,
  setupModel,
  type CompiledBatch,
  type CompiledModel,
} from '@verity/circuits';
import {
  InferenceMarket__factory,
  ProverRegistry__factory,
  JOB_REQUEST_TYPES,
  marketDomain,
  ModelRegistry__factory,
  registerModelOnL1,
  toSolidityVerifyingKey,
  type JobRequest,
} from '@verity/contracts';
import { dropDatabase } from '@verity/core';
import { SequencerClient } from '@verity/prover';
import { devnetRoleKey } from '@verity/rollup';
import {
  AppModule,
  artifactMessage,
  configureApp,
  loadSequencerConfig,
  OpenBatcher,
  ProvenSettler,
  RefundBatcher,
  ReleaseBatcher,
  SettleBatcher,
  type SequencerConfig,
} from '@verity/sequencer';
import { TEST_POSTGRES, type TestDevnet } from './devnet';

/** VTY amounts in token units (18 decimals). */
export const VTY = (n: string): bigint => parseUnits(n, 18);

/** A reference model compiled and set up (both cached after the first run on a machine). */
export async function setUpReferenceModel(name: string): Promise<CompiledModel> {
  const model = await compileModel(referenceCompileParameters(REFERENCE_MODELS[name]!));
  await setupModel({ model });
  return model;
}

/** A prover session for a devnet role: challenge, signed registration, bearer token. */
export async function proverSession(sequencerUrl: string, role: 'prover' | 'bob'): Promise<SequencerClient> {
  const wallet = new Wallet(devnetRoleKey(role));
  const client = new SequencerClient(sequencerUrl);
  const { challenge, message } = await client.challenge(wallet.address);
  const { token } = await client.register({
    address: wallet.address,
    challenge,
    signature: await wallet.signMessage(message),
    models: [],
  });
  client.setToken(token);
  return client;
}

export type TestSequencer = {
  app: NestExpressApplication;
  url: string;
  config: SequencerConfig;
  databaseUrl: string;
  /** The batchers, stepped by hand (workers are off unless asked for). */
  open(): Promise<unknown>;
  settle(): Promise<unknown>;
  release(): Promise<unknown>;
  refund(): Promise<unknown>;
  /** Settles proven batch proofs on L1 (settleProvenBatch). */
  provenSettle(): Promise<unknown>;
  stop(): Promise<void>;
};

/** The sequencer app in this process, on its own fresh database, against the test devnet. */
export async function startTestSequencer(
  devnet: TestDevnet,
  env: Record<string, string> = {},
  databaseUrl = `${TEST_POSTGRES}/verity_seq_${process.pid}_${Math.floor(Math.random() * 1e9)}`,
): Promise<TestSequencer> {
  const config = loadSequencerConfig({
    SEQUENCER_PORT: '0',
    SEQUENCER_DATABASE_URL: databaseUrl,
    SEQUENCER_DEPLOYMENT_FILE: devnet.deploymentFile,
    SEQUENCER_PRIVATE_KEY: devnetRoleKey('sequencer'),
    SEQUENCER_ARTIFACTS_DIR: mkdtempSync(join(tmpdir(), 'verity-artifacts-')),
    SEQUENCER_WORKERS: 'off',
    SEQUENCER_OPEN_BATCH_AGE_MS: '0',
    SEQUENCER_SETTLE_BATCH_AGE_MS: '0',
    SEQUENCER_L1_CONFIRMATIONS: '1',
    SEQUENCER_L2_CONFIRMATIONS: '1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    ...env,
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { logger: false, bodyParser: false });
  configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    config,
    databaseUrl,
    open: () => app.get(OpenBatcher).step(),
    settle: () => app.get(SettleBatcher).step(),
    release: () => app.get(ReleaseBatcher).step(),
    refund: () => app.get(RefundBatcher).step(),
    provenSettle: () => app.get(ProvenSettler).step(),
    stop: async () => {
      await app.close();
      await dropDatabase(databaseUrl).catch(() => undefined);
    },
  };
}

/** Registers a compiled, set-up model on L1 (publisher: the devnet deployer) and uploads its artifacts. */
export async function publishModel(devnet: TestDevnet, sequencerUrl: string, model: CompiledModel): Promise<void> {
  const publisher = new Wallet(devnetRoleKey('deployer'), devnet.l1Provider);
  await registerModelOnL1({
    registry: devnet.deployment.verity!.l1.ModelRegistry,
    publisher: new NonceManager(publisher),
    manifest: model.manifest,
    vkey: JSON.parse(readFileSync(model.paths.vkey, 'utf8')),
  });
  await uploadArtifacts(devnet, sequencerUrl, model.manifest.modelId, {
    manifest: model.paths.manifest,
    program: model.paths.program,
    zkey: model.paths.zkey,
    vkey: model.paths.vkey,
    onnx: onnxFileOf(model),
  });
}

/** Uploads files as the model's artifacts (name → file, in order), each signed by the publisher (the deployer). */
export async function uploadArtifacts(
  devnet: TestDevnet,
  sequencerUrl: string,
  modelId: string,
  files: Record<string, string>,
): Promise<void> {
  const publisher = new Wallet(devnetRoleKey('deployer'));
  for (const [name, file] of Object.entries(files)) {
    const body = readFileSync(file);
    const sha256 = createHash('sha256').update(body).digest('hex');
    const signature = await publisher.signMessage(
      artifactMessage({
        chainId: devnet.deployment.l1.chainId,
        registry: devnet.deployment.verity!.l1.ModelRegistry,
        modelId,
        name,
        sha256,
        bytes: body.length,
      }),
    );
    const res = await fetch(`${sequencerUrl}/v1/models/${modelId}/artifacts/${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'x-verity-signature': signature, 'x-content-sha256': sha256 },
      body,
    });
    if (!res.ok) throw new Error(`upload of ${name} failed: ${res.status} ${await res.text()}`);
  }
}

/**
 * Registers a batch circuit's key on L1 (publisher: the deployer) and publishes its artifacts to the sequencer.
 * Usable for settlement once the registry's delay has passed.
 */
export async function publishBatch(
  devnet: TestDevnet,
  sequencerUrl: string,
  model: CompiledModel,
  batch: CompiledBatch,
): Promise<void> {
  const K = batch.manifest.batchSize;
  const publisher = new Wallet(devnetRoleKey('deployer'), devnet.l1Provider);
  const registry = ModelRegistry__factory.connect(devnet.deployment.verity!.l1.ModelRegistry, publisher);
  const vk = JSON.parse(readFileSync(batch.paths.vkey, 'utf8')) as Parameters<typeof toSolidityVerifyingKey>[0];
  await (
    await registry.registerBatchKey(model.manifest.modelId, K, toSolidityVerifyingKey(vk), '0x' + batch.manifest.r1csSha256)
  ).wait();
  await uploadArtifacts(devnet, sequencerUrl, model.manifest.modelId, {
    [`batch-${K}-manifest`]: batch.paths.manifest,
    [`batch-${K}-vkey`]: batch.paths.vkey,
    [`batch-${K}-zkey`]: batch.paths.zkey,
  });
}

/** A compiled model's batch circuit of K slots with an INSECURE development setup (the devnet only). */
export async function devBatch(model: CompiledModel, K: number): Promise<CompiledBatch> {
  const batch = compileBatch(model, K);
  await setupBatch(batch, { insecureDevelopmentSetup: true });
  return batch;
}

/** The ONNX file a reference model was compiled from. */
export const onnxFileOf = (model: CompiledModel): string =>
  join(__dirname, '..', '..', 'circuits', 'models', model.manifest.name.replace(/-in\d+$/, ''), 'model.onnx');

/** Bridges `amount` VTY of `role` to L2 (relayed at once). */
export async function bridgeVty(devnet: TestDevnet, role: 'alice' | 'bob' | 'prover', amount: bigint): Promise<void> {
  const client = new BridgeClient({ deployment: devnet.deployment, privateKey: devnetRoleKey(role), pollingIntervalMs: 50 });
  const sent = await client.deposit({ token: 'VTY', amount });
  await devnet.relayer.step();
  await client.waitForDeposit(sent.l1TxHash, { timeoutMs: 10_000 });
}

const erc20 = [
  'function approve(address spender, uint256 amount) returns (bool)',
  'function balanceOf(address) view returns (uint256)',
];

/** Approves and deposits `amount` L2 VTY of `role` into the market's prepaid balance. */
export async function fundMarket(devnet: TestDevnet, role: 'alice' | 'bob', amount: bigint): Promise<void> {
  const wallet = new NonceManager(new Wallet(devnetRoleKey(role), devnet.l2Provider));
  const market = InferenceMarket__factory.connect(devnet.deployment.verity!.l2.InferenceMarket, wallet);
  const token = new Contract(devnet.deployment.tokens.VTY!.l2, erc20, wallet);
  await (await token.getFunction('approve')(await market.getAddress(), amount)).wait();
  await (await market.deposit(amount)).wait();
}

/** Stakes `amount` L2 VTY of `role` in the ProverRegistry. */
export async function stakeProver(devnet: TestDevnet, role: 'prover' | 'bob', amount: bigint): Promise<void> {
  const wallet = new NonceManager(new Wallet(devnetRoleKey(role), devnet.l2Provider));
  const registry = ProverRegistry__factory.connect(devnet.deployment.verity!.l2.ProverRegistry, wallet);
  const token = new Contract(devnet.deployment.tokens.VTY!.l2, erc20, wallet);
  await (await token.getFunction('approve')(await registry.getAddress(), amount)).wait();
  await (await registry.stake(amount)).wait();
}

export const l2VtyBalance = async (devnet: TestDevnet, address: string): Promise<bigint> =>
  (await new Contract(devnet.deployment.tokens.VTY!.l2, erc20, devnet.l2Provider).getFunction('balanceOf')(address)) as bigint;

export type SignedJob = {
  body: { request: Record<string, unknown>; signature: string; input: number[]; inputSalt: string };
  request: JobRequest;
};

/** A signed job request for `input`, as `verity job submit` builds it. */
export async function signJob(
  devnet: TestDevnet,
  model: CompiledModel,
  role: 'alice' | 'bob',
  input: number[],
  options: { reward?: bigint; maxFee?: bigint; deadline?: bigint; nonce?: bigint; salt?: string } = {},
): Promise<SignedJob> {
  const wallet = new Wallet(devnetRoleKey(role));
  const salt = options.salt ?? randomSalt();
  const request: JobRequest = {
    modelId: BigInt(model.manifest.modelId),
    inputCommitment: commitVector(
      quantizeInput(model.program, input),
      model.program.inputBits,
      COMMIT_DOMAIN.input,
      BigInt(salt),
    ),
    reward: options.reward ?? parseUnits('1', 18),
    maxFee: options.maxFee ?? parseUnits('0.1', 18),
    deadline: options.deadline ?? BigInt(Math.floor(Date.now() / 1000) + 3600),
    nonce: options.nonce ?? BigInt(Math.floor(Math.random() * 2 ** 48)),
  };
  const domain = marketDomain(devnet.deployment.l2.chainId, devnet.deployment.verity!.l2.InferenceMarket);
  const signature = await wallet.signTypedData(domain, JOB_REQUEST_TYPES as never, request);
  return {
    request,
    body: {
      request: {
        modelId: request.modelId.toString(),
        inputCommitment: request.inputCommitment.toString(),
        reward: request.reward.toString(),
        maxFee: request.maxFee.toString(),
        deadline: Number(request.deadline),
        nonce: request.nonce.toString(),
        requester: wallet.address,
      },
      signature,
      input,
      inputSalt: salt,
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

export async function getJson(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export const dropTestDatabase = dropDatabase;
