import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { Inject, Injectable } from '@nestjs/common';
import { getAddress, verifyMessage } from 'ethers';
import { DataSource } from 'typeorm';

import { checkVerificationKey, modelInterfaceOf, type ModelInterface, type ModelManifest } from '@verity/circuits';
import { sameVerifyingKey, toSolidityVerifyingKey, type SnarkjsVerificationKey } from '@verity/contracts';
import { createLogger } from '@verity/core';
import type { VerificationKey } from 'snarkjs';
import { ArtifactInvalidError, ModelInactiveError, ModelNotFoundError, UnauthorizedError } from '../common/errors';
import { ChainService } from '../chain/chain.service';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { ARTIFACT_NAMES, ModelEntity, type ArtifactName } from './model.entity';

/** Artifacts a prover needs before a model can take jobs. */
const REQUIRED: ArtifactName[] = ['manifest', 'program', 'wasm', 'zkey', 'vkey', 'onnx'];
const CACHE_MS = 5_000;

export type LoadedModel = { entity: ModelEntity; manifest: ModelManifest; interface: ModelInterface; vkey: VerificationKey };

/** The message a publisher signs (EIP-191) to upload one artifact: binds model, artifact and content. */
export function artifactMessage(modelId: string, name: string, sha256: string): string {
  return `Verity model artifact\nmodel: ${modelId}\nartifact: ${name}\nsha256: ${sha256}`;
}

/**
 * Models this sequencer serves: registered on L1 (the key there is what settlement checks), published here with
 * their proving artifacts by the model's publisher. Artifacts are stored under their content hash; a model takes
 * jobs once all of them are present and its verification key equals the one registered on L1.
 */
@Injectable()
export class ModelsService {
  private readonly log = createLogger(ModelsService.name);
  private cache = new Map<string, { at: number; model?: LoadedModel }>();

  constructor(
    @Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig,
    private readonly dataSource: DataSource,
    private readonly chain: ChainService,
  ) {}

  private repo() {
    return this.dataSource.getRepository(ModelEntity);
  }

  artifactPath(sha256: string): string {
    return join(this.config.artifactsDir, sha256);
  }

  /** Every model with all its artifacts, active first. */
  async list(): Promise<ModelEntity[]> {
    const rows = await this.repo().find({ order: { createdAt: 'ASC' } });
    return rows.filter((m) => REQUIRED.every((n) => m.artifacts[n]));
  }

  async find(modelId: string): Promise<ModelEntity> {
    const row = await this.repo().findOneBy({ modelId });
    if (!row) throw new ModelNotFoundError(modelId);
    return row;
  }

  /** A model that may take a job now (cached a few seconds: intake calls this on every request). */
  async getActive(modelId: string): Promise<LoadedModel> {
    const hit = this.cache.get(modelId);
    if (hit && Date.now() - hit.at < CACHE_MS) {
      if (!hit.model) throw new ModelNotFoundError(modelId);
      if (!hit.model.entity.active) throw new ModelInactiveError(modelId);
      return hit.model;
    }
    const row = await this.repo().findOneBy({ modelId });
    const model = row && REQUIRED.every((n) => row.artifacts[n]) ? this.load(row) : undefined;
    this.cache.set(modelId, { at: Date.now(), model });
    if (!model) throw new ModelNotFoundError(modelId);
    if (!model.entity.active) throw new ModelInactiveError(modelId);
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
   * Stores one artifact streamed from the publisher. The publisher signs `artifactMessage(modelId, name, sha256)`;
   * the signer must be the model's publisher on L1. The manifest creates the model; the vkey must equal the key
   * registered on L1, and later artifacts must match the manifest's hashes where it records them.
   */
  async putArtifact(modelId: string, name: string, body: Readable, signature: string | undefined): Promise<ModelEntity> {
    if (!(ARTIFACT_NAMES as readonly string[]).includes(name))
      throw new ArtifactInvalidError(`unknown artifact '${name}' (one of ${ARTIFACT_NAMES.join(', ')})`);
    if (!signature || !/^0x[0-9a-fA-F]{130}$/.test(signature))
      throw new UnauthorizedError('upload needs the publisher’s signature in the X-Verity-Signature header');
    const { modelRegistry } = this.chain.get();
    if (!(await modelRegistry.isRegistered(modelId))) throw new ModelNotFoundError(`${modelId} (not registered on L1)`);
    const publisher = getAddress(await modelRegistry.publisherOf(modelId));

    mkdirSync(this.config.artifactsDir, { recursive: true });
    const tmp = join(this.config.artifactsDir, `upload-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`);
    const hash = createHash('sha256');
    let bytes = 0;
    body.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    await pipeline(body, createWriteStream(tmp));
    const sha256 = hash.digest('hex');
    try {
      let signer: string;
      try {
        signer = getAddress(verifyMessage(artifactMessage(modelId, name, sha256), signature));
      } catch {
        throw new UnauthorizedError('the artifact signature does not verify');
      }
      if (signer !== publisher) throw new UnauthorizedError(`only the model’s publisher ${publisher} may upload its artifacts`);

      const row = await this.repo().findOneBy({ modelId });
      if (name === 'manifest') {
        const manifest = this.parseJson(tmp, 'manifest') as unknown as ModelManifest;
        if (manifest.modelId !== modelId) throw new ArtifactInvalidError(`the manifest is for model ${manifest.modelId}`);
        if (!manifest.setup) throw new ArtifactInvalidError('the manifest records no setup');
      } else if (!row) throw new ArtifactInvalidError('upload the manifest first');
      if (name === 'vkey') {
        const vkey = checkVerificationKey(this.parseJson(tmp, 'vkey') as unknown as VerificationKey);
        const registered = await modelRegistry.verifyingKeyOf(modelId);
        const onChain = {
          alpha1: { x: registered.alpha1.x, y: registered.alpha1.y },
          beta2: { x: [...registered.beta2.x] as [bigint, bigint], y: [...registered.beta2.y] as [bigint, bigint] },
          gamma2: { x: [...registered.gamma2.x] as [bigint, bigint], y: [...registered.gamma2.y] as [bigint, bigint] },
          delta2: { x: [...registered.delta2.x] as [bigint, bigint], y: [...registered.delta2.y] as [bigint, bigint] },
          ic: registered.ic.map((p) => ({ x: p.x, y: p.y })),
        };
        if (!sameVerifyingKey(toSolidityVerifyingKey(vkey as unknown as SnarkjsVerificationKey), onChain))
          throw new ArtifactInvalidError('this verification key is not the one registered on L1');
      }
      const setup = (row?.manifest as unknown as ModelManifest | undefined)?.setup;
      if (name === 'zkey' && setup && setup.zkeySha256 !== sha256)
        throw new ArtifactInvalidError('the zkey does not match the manifest’s zkeySha256');

      renameSync(tmp, this.artifactPath(sha256));
      const manifest =
        name === 'manifest' ? (this.parseJson(this.artifactPath(sha256), 'manifest') as Record<string, unknown>) : row!.manifest;
      const entity = this.repo().create({
        modelId,
        name: String(manifest.name),
        publisher,
        manifest,
        artifacts: { ...(row?.artifacts ?? {}), [name]: { sha256, bytes } },
        active: await modelRegistry.isActive(modelId),
      });
      await this.repo().save(entity);
      this.cache.delete(modelId);
      this.log.info({ modelId, artifact: name, sha256, bytes }, 'model artifact stored');
      return entity;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  private parseJson(file: string, what: string): Record<string, unknown> {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      throw new ArtifactInvalidError(`the ${what} is not valid JSON`);
    }
  }
}
