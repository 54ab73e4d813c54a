import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  BATCH_SIZE_RANGE,
  checkVerificationKey,
  loadModelFiles,
  type BatchManifest,
  type CompiledBatch,
  type CompiledModel,
} from '@verity/circuits';
import { createLogger } from '@verity/core';
import { ArtifactRefusedError, SequencerApiError, SHA256_HEX, type ModelView, type SequencerClient } from './sequencerClient';

const ARTIFACTS = ['manifest', 'program', 'zkey', 'vkey', 'onnx'] as const;
const BATCH_ARTIFACTS = ['manifest', 'zkey', 'vkey'] as const;

export type CachedModel = Pick<CompiledModel, 'manifest' | 'program' | 'paths'> & { onnxFile: string };

/** A model's batch circuit of K slots, ready for proveBatch (its paths.program is the model's program file). */
export type CachedBatch = CompiledBatch;

/**
 * Models by id, fetched from the sequencer once and kept on disk under their content hashes (a model shared by two
 * ids, or fetched by two provers on one machine, is stored once). Each download is checked against the hash the
 * sequencer lists; a proving key that accepts forgeries is refused when it is loaded.
 */
export class ModelCache {
  private readonly log = createLogger(ModelCache.name);
  private readonly loaded = new Map<string, Promise<CachedModel>>();
  private readonly batches = new Map<string, Promise<CachedBatch>>();

  constructor(
    private readonly client: SequencerClient,
    private readonly dir: string,
  ) {}

  get(modelId: string): Promise<CachedModel> {
    let model = this.loaded.get(modelId);
    if (!model) {
      model = this.fetch(modelId);
      this.loaded.set(modelId, model);
      model.catch(() => this.loaded.delete(modelId));
    }
    return model;
  }

  /**
   * The batch circuit of K slots of a model (`batch-<K>-manifest`, `-zkey`, `-vkey`), with the model itself. Refused
   * unless its manifest is this model's and this K, and records the setup of exactly the zkey and vkey served.
   */
  getBatch(modelId: string, K: number): Promise<CachedBatch> {
    const key = `${modelId}:${K}`;
    let batch = this.batches.get(key);
    if (!batch) {
      batch = this.fetchBatch(modelId, K);
      this.batches.set(key, batch);
      batch.catch(() => this.batches.delete(key));
    }
    return batch;
  }

  /** Downloads (unless already on disk) each named artifact; returns its file and listed sha256 by name. */
  private async download<N extends string>(
    modelId: string,
    view: ModelView,
    names: readonly N[],
    prefix = '',
  ): Promise<Record<N, { file: string; sha256: string }>> {
    mkdirSync(this.dir, { recursive: true });
    const files = {} as Record<N, { file: string; sha256: string }>;
    for (const part of names) {
      const name = `${prefix}${part}`;
      const artifact = view.artifacts?.[name];
      if (!artifact) throw new SequencerApiError(404, 'ARTIFACT_NOT_AVAILABLE', `model ${modelId} has no ${name} artifact`);
      // The hash names the file: anything but 64 hex digits could point outside the cache (../, /abs).
      if (typeof artifact.sha256 !== 'string' || !SHA256_HEX.test(artifact.sha256))
        throw new ArtifactRefusedError(`the sequencer lists ${name} of model ${modelId} with a malformed sha256`);
      const file = join(this.dir, artifact.sha256);
      if (!existsSync(file)) {
        this.log.info({ modelId, artifact: name, bytes: artifact.bytes }, 'downloading model artifact');
        await this.client.downloadArtifact(modelId, name, artifact, file);
      }
      files[part] = { file, sha256: artifact.sha256 };
    }
    return files;
  }

  private async fetchBatch(modelId: string, K: number): Promise<CachedBatch> {
    const [min, max] = BATCH_SIZE_RANGE;
    if (!Number.isInteger(K) || K < min || K > max)
      throw new ArtifactRefusedError(`batch size ${String(K).slice(0, 20)} is not an integer in [${min}, ${max}]`);
    if (!/^(0|[1-9][0-9]{0,77})$/.test(modelId))
      throw new ArtifactRefusedError(`model id '${modelId.slice(0, 80)}' is not decimal`);
    const view = await this.client.model(modelId);
    const files = await this.download(modelId, view, BATCH_ARTIFACTS, `batch-${K}-`);
    let manifest: BatchManifest;
    try {
      manifest = JSON.parse(readFileSync(files.manifest.file, 'utf8')) as BatchManifest;
    } catch {
      throw new ArtifactRefusedError(`batch-${K}-manifest of model ${modelId} is not JSON`);
    }
    // The file names are the hashes the downloads were checked against: the manifest must record that very zkey
    // and vkey, for this model and K (a mix-up would only show as failed proofs, seconds each).
    if (manifest?.modelId !== modelId || manifest.batchSize !== K)
      throw new ArtifactRefusedError(
        `batch-${K}-manifest of model ${modelId} is for model ${String(manifest?.modelId).slice(0, 80)}, K ${String(manifest?.batchSize).slice(0, 20)}`,
      );
    if (manifest.setup?.zkeySha256 !== files.zkey.sha256 || manifest.setup.vkeySha256 !== files.vkey.sha256)
      throw new ArtifactRefusedError(`batch-${K}-manifest of model ${modelId} records another setup than the keys served`);
    checkVerificationKey(JSON.parse(readFileSync(files.vkey.file, 'utf8')));
    // The witness comes from the model's own program.
    const model = await this.get(modelId);
    return {
      manifest,
      paths: {
        dir: '',
        r1cs: '',
        verifierSol: '',
        manifest: files.manifest.file,
        zkey: files.zkey.file,
        vkey: files.vkey.file,
        program: model.paths.program,
      },
    };
  }

  private async fetch(modelId: string): Promise<CachedModel> {
    if (!/^(0|[1-9][0-9]{0,77})$/.test(modelId))
      throw new ArtifactRefusedError(`model id '${modelId.slice(0, 80)}' is not decimal`);
    const view = await this.client.model(modelId);
    const downloaded = await this.download(modelId, view, ARTIFACTS);
    const files = Object.fromEntries(ARTIFACTS.map((name) => [name, downloaded[name].file])) as Record<
      (typeof ARTIFACTS)[number],
      string
    >;
    const model = loadModelFiles(files);
    if (model.manifest.modelId !== modelId)
      throw new Error(`the artifacts served for model ${modelId} are model ${model.manifest.modelId}`);
    return { ...model, onnxFile: files.onnx };
  }
}
