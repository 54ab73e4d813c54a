import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { Inject, Injectable } from '@nestjs/common';
import { getAddress, verifyMessage } from 'ethers';
import { DataSource } from 'typeorm';

import {
  assertSetupRegistrable,
  checkVerificationKey,
  DevelopmentSetupRefusedError,
  InvalidInputError,
  modelInterfaceOf,
  type ModelInterface,
  type ModelManifest,
  zkeyVerificationKey,
} from '@verity/circuits';
import {
  batchKeyWords,
  sameVerifyingKey,
  storedBatchKeyWords,
  toSolidityVerifyingKey,
  type SnarkjsVerificationKey,
} from '@verity/contracts';
import { createLogger, DEVNET_L1_CHAIN_ID } from '@verity/core';
import type { VerificationKey } from 'snarkjs';
import {
  ArtifactInvalidError,
  ArtifactTooLargeError,
  BaseError,
  ModelDeactivationScheduledError,
  ModelInactiveError,
  ModelNotFoundError,
  UnauthorizedError,
  UploadsBusyError,
  ValidationError,
} from '../common/errors';
import { ChainService } from '../chain/chain.service';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import {
  ARTIFACT_NAMES_HELP,
  BATCH_ARTIFACT_PARTS,
  batchArtifactName,
  isArtifactName,
  ModelEntity,
  parseBatchArtifact,
  type ArtifactName,
} from './model.entity';

/** Artifacts a prover needs before a model can take jobs. */
const REQUIRED: ArtifactName[] = ['manifest', 'program', 'zkey', 'vkey', 'onnx'];
const CACHE_MS = 5_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** What a batch circuit's manifest (circuits' BatchManifest) must say for the sequencer to serve it. */
type BatchManifestFields = { name: string; modelId: string; batchSize: number; setup?: ModelManifest['setup'] };

export type LoadedModel = { entity: ModelEntity; manifest: ModelManifest; interface: ModelInterface; vkey: VerificationKey };

export type ArtifactMessageParameters = {
  /** The L1 chain the ModelRegistry lives on. */
  chainId: number | bigint;
  /** The ModelRegistry the model is registered in. */
  registry: string;
  modelId: string;
  name: string;
  /** Lowercase hex SHA-256 of the artifact's bytes. */
  sha256: string;
  /** The artifact's length in bytes. */
  bytes: number;
};
export type ArtifactMessageReturnType = string;

/**
 * The message a publisher signs (EIP-191) to upload one artifact: binds the registry and its chain (a signature for
 * another deployment is worthless here), the model, the artifact, its content and its length.
 */
export function artifactMessage(parameters: ArtifactMessageParameters): ArtifactMessageReturnType {
  const { chainId, registry, modelId, name, sha256, bytes } = parameters;
  return [
    'Verity model artifact',
    `registry: ${getAddress(registry)} (chain ${chainId})`,
    `model: ${modelId}`,
    `artifact: ${name}`,
    `sha256: ${sha256}`,
    `bytes: ${bytes}`,
  ].join('\n');
}

/** A model's status on L1 as last read: what decides whether it takes new jobs and leases. */
export type ModelChainStatus = {
  /** ModelRegistry.isActive: settlement still accepts it. */
  active: boolean;
  /** When a scheduled deactivation takes effect (L1 time); absent if none is scheduled. */
  deactivatesAt?: Date;
  /** Seconds from the read to that moment, by the L1 clock. */
  secondsLeft?: number;
  /** Date.now() of the read. */
  readAt: number;
};

/** The headers and body of one artifact upload. */
export type ArtifactUpload = {
  signature?: string;
  /** Declared SHA-256 (X-Content-SHA256). */
  sha256?: string;
  /** Declared length (Content-Length). */
  contentLength?: string;
  contentType?: string;
  body: Readable;
};

/**
 * Models this sequencer serves: registered on L1 (the key there is what settlement checks), published here with
 * their proving artifacts by the model's publisher. Artifacts are stored under their content hash; a model takes
 * jobs once all of them are present, its verification key equals the one registered on L1, and L1 has no
 * deactivation scheduled for it (read from ModelRegistry, cached a few seconds).
 */
@Injectable()
export class ModelsService {
  private readonly log = createLogger(ModelsService.name);
  private cache = new Map<string, { at: number; model?: LoadedModel }>();
  private statuses = new Map<string, ModelChainStatus>();
  private statusReads = new Map<string, Promise<ModelChainStatus>>();
  /** ModelRegistry.batchKeyDataOf(model, K).active as last read, by `${modelId}/${K}`. */
  private batchKeyReads = new Map<string, { at: number; active: boolean }>();
  private uploads = 0;

  constructor(
    @Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig,
    private readonly dataSource: DataSource,
    private readonly chain: ChainService,
  ) {}

  private repo() {
    return this.dataSource.getRepository(ModelEntity);
  }

  artifactPath(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new ArtifactInvalidError('an artifact hash must be 64 lowercase hex digits');
    return join(this.config.artifactsDir, sha256);
  }

  /** Every model with all its artifacts, oldest first. */
  async list(): Promise<ModelEntity[]> {
    const rows = await this.repo().find({ order: { createdAt: 'ASC' } });
    return rows.filter((m) => REQUIRED.every((n) => m.artifacts[n]));
  }

  async find(modelId: string): Promise<ModelEntity> {
    const row = await this.repo().findOneBy({ modelId });
    if (!row) throw new ModelNotFoundError(modelId);
    return row;
  }

  /**
   * A model that may take a NEW job now: published, active on L1 and with no deactivation scheduled there (intake
   * calls this on every request; the row and the L1 status are cached a few seconds).
   */
  async getActive(modelId: string): Promise<LoadedModel> {
    const model = await this.loaded(modelId);
    const status = await this.chainStatus(model.entity);
    if (!status.active) throw new ModelInactiveError(modelId);
    if (status.deactivatesAt) throw new ModelDeactivationScheduledError(modelId, status.deactivatesAt);
    return model;
  }

  /**
   * A model whose proofs are still worth checking: active on L1, even if its deactivation is scheduled (jobs leased
   * before the schedule was seen may still be proven and settle before it takes effect).
   */
  async getForProof(modelId: string): Promise<LoadedModel> {
    const model = await this.loaded(modelId);
    if (!(await this.chainStatus(model.entity)).active) throw new ModelInactiveError(modelId);
    return model;
  }

  /**
   * Of the models a prover asks for (none: all), those whose queued jobs may be leased now: active on L1 and, if a
   * deactivation is scheduled, far enough from it that a lease plus the settlement margin fits before it.
   */
  async leasableModels(requested: string[]): Promise<string[]> {
    const wanted = new Set(requested);
    const rows = (await this.list()).filter((m) => wanted.size === 0 || wanted.has(m.modelId));
    const room = this.config.jobs.leaseTimeoutMs / 1000 + this.config.models.deactivationMarginSeconds;
    const leasable: string[] = [];
    for (const row of rows) {
      const status = await this.chainStatus(row);
      if (!status.active) continue;
      if (status.secondsLeft !== undefined && status.secondsLeft - (Date.now() - status.readAt) / 1000 < room) continue;
      leasable.push(row.modelId);
    }
    return leasable;
  }

  /**
   * The batch sizes K whose batch circuit may prove this model's jobs now, smallest first: the circuit's manifest,
   * zkey and vkey are stored here (each checked against the key registered on L1 at upload) and ModelRegistry says
   * the key is active (its activation delay passed, the model accepts settlement). None while the model has a
   * deactivation scheduled: a batch proof takes longer than a single settlement, and one that lands after the
   * deactivation would leave its jobs unpaid. Empty: the model's jobs settle singly.
   */
  async usableBatchSizes(modelId: string): Promise<number[]> {
    const { entity } = await this.loaded(modelId);
    const status = await this.chainStatus(entity);
    if (!status.active || status.deactivatesAt) return [];
    const sizes = Object.keys(entity.artifacts)
      .map((name) => parseBatchArtifact(name))
      .filter((b) => b?.part === 'manifest')
      .map((b) => b!.size)
      .filter((K) => BATCH_ARTIFACT_PARTS.every((part) => entity.artifacts[batchArtifactName(K, part)]))
      .sort((a, b) => a - b);
    const usable: number[] = [];
    for (const K of sizes) if (await this.batchKeyActive(modelId, K)) usable.push(K);
    return usable;
  }

  private async batchKeyActive(modelId: string, K: number): Promise<boolean> {
    const key = `${modelId}/${K}`;
    const known = this.batchKeyReads.get(key);
    if (known && Date.now() - known.at < this.config.models.statusTtlMs) return known.active;
    let active = false;
    try {
      [, active] = await this.chain.get().modelRegistry.batchKeyDataOf(modelId, K);
    } catch (err) {
      // L1 unreachable: no batch proofs are asked for until it answers (single settlement still works).
      this.log.warn({ modelId, size: K, err: (err as Error).message }, 'batch key status not read from L1');
    }
    this.batchKeyReads.set(key, { at: Date.now(), active });
    return active;
  }

  /** The verification key of the model's batch circuit of K slots, as stored here (equal to L1's at upload). */
  batchVerificationKey(entity: ModelEntity, K: number): VerificationKey {
    const artifact = entity.artifacts[batchArtifactName(K, 'vkey')];
    const file = artifact && this.artifactPath(artifact.sha256);
    if (!file || !existsSync(file)) throw new ModelNotFoundError(`${entity.modelId}/${batchArtifactName(K, 'vkey')}`);
    return JSON.parse(readFileSync(file, 'utf8')) as VerificationKey;
  }

  /** The words of the batch key of K slots registered on L1 for the model; [] if none is registered. */
  private async registeredBatchKey(modelId: string, K: number): Promise<bigint[]> {
    const { modelRegistry, l1 } = this.chain.get();
    const [keyData] = await modelRegistry.batchKeyDataOf(modelId, K);
    if (BigInt(keyData) === 0n) return [];
    return storedBatchKeyWords(await l1.getCode(keyData));
  }

  /** The model's L1 status, read again once it is older than SEQUENCER_MODEL_STATUS_TTL_MS. */
  async chainStatus(entity: ModelEntity): Promise<ModelChainStatus> {
    const known = this.statuses.get(entity.modelId);
    if (known && Date.now() - known.readAt < this.config.models.statusTtlMs) return known;
    let read = this.statusReads.get(entity.modelId);
    if (!read) {
      read = this.readStatus(entity, known).finally(() => this.statusReads.delete(entity.modelId));
      this.statusReads.set(entity.modelId, read);
    }
    return read;
  }

  private async readStatus(entity: ModelEntity, known: ModelChainStatus | undefined): Promise<ModelChainStatus> {
    let status: ModelChainStatus;
    try {
      const { modelRegistry, l1 } = this.chain.get();
      const [active, deactivatesAt, block] = await Promise.all([
        modelRegistry.isActive(entity.modelId),
        modelRegistry.deactivationTimeOf(entity.modelId),
        l1.getBlock('latest'),
      ]);
      status = { active, readAt: Date.now() };
      if (deactivatesAt !== 0n) {
        status.deactivatesAt = new Date(Number(deactivatesAt) * 1000);
        status.secondsLeft = Number(deactivatesAt) - (block?.timestamp ?? Math.floor(Date.now() / 1000));
      }
    } catch (err) {
      // L1 unreachable: keep what was last seen (or the stored flag) for another period rather than fail intake.
      this.log.warn({ modelId: entity.modelId, err: (err as Error).message }, 'model status not refreshed from L1');
      status = { ...(known ?? { active: entity.active }), readAt: Date.now() };
    }
    this.statuses.set(entity.modelId, status);
    if (status.active !== entity.active) {
      await this.repo().update({ modelId: entity.modelId }, { active: status.active });
      entity.active = status.active;
      this.log.info({ modelId: entity.modelId, active: status.active }, 'model status changed on L1');
    }
    if (status.deactivatesAt && !known?.deactivatesAt)
      this.log.info(
        { modelId: entity.modelId, deactivatesAt: status.deactivatesAt.toISOString() },
        'model deactivation scheduled on L1',
      );
    return status;
  }

  /** The model's row and parsed artifacts, cached a few seconds. */
  private async loaded(modelId: string): Promise<LoadedModel> {
    const hit = this.cache.get(modelId);
    if (hit && Date.now() - hit.at < CACHE_MS) {
      if (!hit.model) throw new ModelNotFoundError(modelId);
      return hit.model;
    }
    const row = await this.repo().findOneBy({ modelId });
    const model = row && REQUIRED.every((n) => row.artifacts[n]) ? this.load(row) : undefined;
    this.cache.set(modelId, { at: Date.now(), model });
    if (!model) throw new ModelNotFoundError(modelId);
    return model;
  }

  private load(entity: ModelEntity): LoadedModel {
    const manifest = entity.manifest as unknown as ModelManifest;
    const vkey = checkVerificationKey(
      JSON.parse(readFileSync(this.artifactPath(entity.artifacts.vkey!.sha256), 'utf8')) as VerificationKey,
    );
    return { entity, manifest, interface: modelInterfaceOf(manifest), vkey };
  }

  openArtifact(entity: ModelEntity, name: ArtifactName): Readable {
    const artifact = entity.artifacts[name];
    if (!artifact || !existsSync(this.artifactPath(artifact.sha256))) throw new ModelNotFoundError(`${entity.modelId}/${name}`);
    return createReadStream(this.artifactPath(artifact.sha256));
  }

  /**
   * Stores one artifact streamed from the publisher. Everything that can be checked from the headers is checked
   * before a byte of the body is read: the artifact name, the declared SHA-256 and length (at most
   * SEQUENCER_MAX_ARTIFACT_BYTES), a free upload slot, and the publisher's signature over
   * `artifactMessage({chainId, registry, modelId, name, sha256, bytes})`, whose signer must be the model's publisher
   * on L1. Then the body streams into a temp file (never past the declared length) that is removed on every path
   * but success; the content must hash to the declared SHA-256. The manifest creates the model; the vkey must equal
   * the key registered on L1, and later artifacts must match the manifest's hashes where it records them.
   */
  async putArtifact(modelId: string, name: string, upload: ArtifactUpload): Promise<ModelEntity> {
    if (!isArtifactName(name))
      throw new ArtifactInvalidError(`unknown artifact '${name.slice(0, 40)}' (one of ${ARTIFACT_NAMES_HELP})`);
    const batch = parseBatchArtifact(name);
    const { signature } = upload;
    if (!signature || !/^0x[0-9a-fA-F]{130}$/.test(signature))
      throw new UnauthorizedError('upload needs the publisher’s signature in the X-Verity-Signature header');
    const sha256 = upload.sha256?.toLowerCase();
    if (!sha256 || !SHA256_HEX.test(sha256))
      throw new ValidationError('the X-Content-SHA256 header must hold the artifact’s SHA-256 (64 hex digits)');
    if (!upload.contentLength || !/^(0|[1-9][0-9]{0,15})$/.test(upload.contentLength))
      throw new ValidationError('a Content-Length header is required (the signed byte length; chunked uploads are refused)');
    const declared = Number(upload.contentLength);
    const max = this.config.models.maxArtifactBytes;
    if (declared > max)
      throw new ArtifactTooLargeError(`the artifact is ${declared} bytes; this sequencer accepts at most ${max}`);
    const type = upload.contentType?.split(';')[0]!.trim().toLowerCase();
    if (type && type !== 'application/octet-stream')
      throw new ValidationError(`send the artifact as application/octet-stream, not ${type.slice(0, 60)}`);
    if (this.uploads >= this.config.models.maxConcurrentUploads)
      throw new UploadsBusyError(this.config.models.maxConcurrentUploads);

    this.uploads++;
    let tmp: string | undefined;
    try {
      const { modelRegistry, deployment } = this.chain.get();
      if (!(await modelRegistry.isRegistered(modelId))) throw new ModelNotFoundError(`${modelId} (not registered on L1)`);
      const publisher = getAddress(await modelRegistry.publisherOf(modelId));
      const message = artifactMessage({
        chainId: deployment.l1.chainId,
        registry: deployment.verity.l1.ModelRegistry,
        modelId,
        name,
        sha256,
        bytes: declared,
      });
      let signer: string;
      try {
        signer = getAddress(verifyMessage(message, signature));
      } catch {
        throw new UnauthorizedError('the artifact signature does not verify');
      }
      if (signer !== publisher)
        throw new UnauthorizedError(
          `the artifact message is signed by ${signer}, not by the model’s publisher ${publisher} (for this registry and chain)`,
        );
      const row = await this.repo().findOneBy({ modelId });
      if (name !== 'manifest' && !row) throw new ArtifactInvalidError('upload the manifest first');
      // A batch circuit's files need its key on L1 (they are checked against it), and its zkey and vkey its manifest.
      const l1BatchKey = batch ? await this.registeredBatchKey(modelId, batch.size) : [];
      if (batch && !l1BatchKey.length)
        throw new ArtifactInvalidError(
          `no batch key of ${batch.size} slots is registered on L1 for model ${modelId}: register it first (verity model register-batch)`,
        );
      const batchManifest = batch && batch.part !== 'manifest' ? this.storedBatchManifest(row!, batch.size) : undefined;
      const setup = batch ? batchManifest?.setup : (row?.manifest as unknown as ModelManifest | undefined)?.setup;
      if ((name === 'zkey' || batch?.part === 'zkey') && setup && setup.zkeySha256 !== sha256)
        throw new ArtifactInvalidError('the zkey does not match the manifest’s zkeySha256');
      // Provers refuse a batch vkey their manifest does not name (prover/src/modelCache.ts): refused here first.
      if (batch?.part === 'vkey' && setup && setup.vkeySha256 !== sha256)
        throw new ArtifactInvalidError('the vkey does not match the batch manifest’s vkeySha256');

      // Only now is the body read.
      mkdirSync(this.config.artifactsDir, { recursive: true });
      tmp = join(this.config.artifactsDir, `upload-${process.pid}-${randomBytes(8).toString('hex')}`);
      const actual = await this.receive(upload.body, tmp, declared);
      if (actual !== sha256) throw new ArtifactInvalidError(`the body hashes to ${actual}, not the signed ${sha256}`);

      if (name === 'manifest') {
        const manifest = this.parseJson(tmp, 'manifest') as unknown as ModelManifest;
        if (manifest.modelId !== modelId) throw new ArtifactInvalidError(`the manifest is for model ${manifest.modelId}`);
        if (!manifest.setup) throw new ArtifactInvalidError('the manifest records no setup');
        this.assertRegistrable(manifest.name, manifest.setup, deployment.l1.chainId);
      }
      if (batch?.part === 'manifest') {
        const manifest = this.parseJson(tmp, 'batch manifest') as unknown as BatchManifestFields;
        if (manifest.modelId !== modelId || manifest.batchSize !== batch.size)
          throw new ArtifactInvalidError(
            `the batch manifest is for model ${String(manifest.modelId).slice(0, 80)} with ${String(manifest.batchSize).slice(0, 10)} slots, not ${modelId} with ${batch.size}`,
          );
        if (!manifest.setup) throw new ArtifactInvalidError('the batch manifest records no setup');
        this.assertRegistrable(String(manifest.name), manifest.setup, deployment.l1.chainId);
      }
      // The key itself too: a manifest can be edited, a zkey without phase-2 contributions is a development key.
      if (name === 'zkey') this.assertRegistrable(String(row!.manifest.name), setup, deployment.l1.chainId, tmp);
      if (batch?.part === 'zkey') this.assertRegistrable(batchManifest!.name, setup, deployment.l1.chainId, tmp);
      if (batch && batch.part !== 'manifest') {
        const vkey = await this.keyOfArtifact(tmp, batch.part);
        if (vkey.IC.length !== 4)
          throw new ArtifactInvalidError(
            `a batch circuit's key has 4 IC points (modelId, count, batchHash), this one ${vkey.IC.length}`,
          );
        if (!sameWords(batchKeyWords(toSolidityVerifyingKey(vkey), BigInt(modelId)), l1BatchKey))
          throw new ArtifactInvalidError(
            `this ${batch.part === 'vkey' ? 'verification key' : 'zkey’s key'} is not the batch key of ${batch.size} slots registered on L1`,
          );
      }
      // The zkey provers will prove with must carry the key registered on L1 (α, β, γ, δ, IC), and the vkey served
      // to requesters must be that key: a publisher cannot pair L1's key with other proving material.
      if (name === 'vkey' || name === 'zkey') {
        const vkey = await this.keyOfArtifact(tmp, name);
        const registered = await modelRegistry.verifyingKeyOf(modelId);
        const onChain = {
          alpha1: { x: registered.alpha1.x, y: registered.alpha1.y },
          beta2: { x: [...registered.beta2.x] as [bigint, bigint], y: [...registered.beta2.y] as [bigint, bigint] },
          gamma2: { x: [...registered.gamma2.x] as [bigint, bigint], y: [...registered.gamma2.y] as [bigint, bigint] },
          delta2: { x: [...registered.delta2.x] as [bigint, bigint], y: [...registered.delta2.y] as [bigint, bigint] },
          ic: registered.ic.map((p) => ({ x: p.x, y: p.y })),
        };
        if (!sameVerifyingKey(toSolidityVerifyingKey(vkey as unknown as SnarkjsVerificationKey), onChain))
          throw new ArtifactInvalidError(
            `this ${name === 'vkey' ? 'verification key' : 'zkey’s key'} is not the one registered on L1`,
          );
      }

      renameSync(tmp, this.artifactPath(sha256));
      const manifest =
        name === 'manifest' ? (this.parseJson(this.artifactPath(sha256), 'manifest') as Record<string, unknown>) : row!.manifest;
      const entity = this.repo().create({
        modelId,
        name: String(manifest.name),
        publisher,
        manifest,
        artifacts: { ...(row?.artifacts ?? {}), [name]: { sha256, bytes: declared } },
        active: await modelRegistry.isActive(modelId),
      });
      await this.repo().save(entity);
      this.cache.delete(modelId);
      this.statuses.delete(modelId);
      this.log.info({ modelId, artifact: name, sha256, bytes: declared }, 'model artifact stored');
      return entity;
    } finally {
      if (tmp) rmSync(tmp, { force: true });
      this.uploads--;
    }
  }

  /**
   * An INSECURE development setup is served only where it was allowed, and only on the local devnet. A guard against
   * mistakes: a publisher set on forging can always make a key it can forge (it ran phase 2); requesters judge a
   * model by its setup transcript (`verity model verify-setup`, the manifest's `setup` in GET /v1/models/:id).
   */
  private assertRegistrable(model: string, setup: ModelManifest['setup'], chainId: number, zkey?: string): void {
    try {
      assertSetupRegistrable({
        model,
        setup,
        zkey,
        chainId,
        developmentChainIds: this.config.models.allowDevelopmentSetup ? [DEVNET_L1_CHAIN_ID] : [],
      });
    } catch (err) {
      if (err instanceof DevelopmentSetupRefusedError || err instanceof InvalidInputError)
        throw new ArtifactInvalidError((err as Error & { shortMessage?: string }).shortMessage ?? (err as Error).message);
      throw err;
    }
  }

  /** The verification key a vkey file holds, or a zkey carries (checked: a key that accepts forgeries is refused). */
  private async keyOfArtifact(file: string, part: 'vkey' | 'zkey'): Promise<VerificationKey> {
    return checkVerificationKey(
      part === 'vkey'
        ? (this.parseJson(file, 'vkey') as unknown as VerificationKey)
        : await zkeyVerificationKey(file).catch((err: Error & { shortMessage?: string }) => {
            throw new ArtifactInvalidError(`the zkey: ${err.shortMessage ?? err.message}`);
          }),
    );
  }

  /** The batch manifest of K slots stored for the model (uploaded before its zkey and vkey). */
  private storedBatchManifest(row: ModelEntity, K: number): BatchManifestFields {
    const artifact = row.artifacts[batchArtifactName(K, 'manifest')];
    if (!artifact) throw new ArtifactInvalidError(`upload ${batchArtifactName(K, 'manifest')} first`);
    return this.parseJson(this.artifactPath(artifact.sha256), 'batch manifest') as unknown as BatchManifestFields;
  }

  /** Streams `body` into `file`, never past `declared` bytes; returns the content's SHA-256 (hex). */
  private async receive(body: Readable, file: string, declared: number): Promise<string> {
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        if (bytes > declared) return done(new ArtifactTooLargeError(`the body is longer than the signed ${declared} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    } catch (err) {
      if (err instanceof BaseError) throw err;
      throw new ValidationError(`the upload ended after ${bytes} of ${declared} bytes (the connection was interrupted)`);
    }
    if (bytes !== declared) throw new ValidationError(`the body has ${bytes} bytes, not the signed ${declared}`);
    return hash.digest('hex');
  }

  private parseJson(file: string, what: string): Record<string, unknown> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      throw new ArtifactInvalidError(`the ${what} is not valid JSON`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new ArtifactInvalidError(`the ${what} is not a JSON object`);
    return parsed as Record<string, unknown>;
  }
}

const sameWords = (a: readonly bigint[], b: readonly bigint[]): boolean => a.length === b.length && a.every((w, i) => w === b[i]);
