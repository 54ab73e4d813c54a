import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { loadModelFiles, type CompiledModel } from '@verity/circuits';
import { createLogger } from '@verity/core';
import { ArtifactRefusedError, SHA256_HEX, type SequencerClient } from './sequencerClient';

const ARTIFACTS = ['manifest', 'program', 'zkey', 'vkey', 'onnx'] as const;

export type CachedModel = Pick<CompiledModel, 'manifest' | 'program' | 'paths'> & { onnxFile: string };

/**
 * Models by id, fetched from the sequencer once and kept on disk under their content hashes (a model shared by two
 * ids, or fetched by two provers on one machine, is stored once). Each download is checked against the hash the
 * sequencer lists; a proving key that accepts forgeries is refused when it is loaded.
 */
export class ModelCache {
  private readonly log = createLogger(ModelCache.name);
  private readonly loaded = new Map<string, Promise<CachedModel>>();

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

  private async fetch(modelId: string): Promise<CachedModel> {
    if (!/^(0|[1-9][0-9]{0,77})$/.test(modelId))
      throw new ArtifactRefusedError(`model id '${modelId.slice(0, 80)}' is not decimal`);
    const view = await this.client.model(modelId);
    mkdirSync(this.dir, { recursive: true });
    const files = {} as Record<(typeof ARTIFACTS)[number], string>;
    for (const name of ARTIFACTS) {
      const artifact = view.artifacts?.[name];
      if (!artifact) throw new Error(`model ${modelId} has no ${name} artifact`);
      // The hash names the file: anything but 64 hex digits could point outside the cache (../, /abs).
      if (typeof artifact.sha256 !== 'string' || !SHA256_HEX.test(artifact.sha256))
        throw new ArtifactRefusedError(`the sequencer lists ${name} of model ${modelId} with a malformed sha256`);
      const file = join(this.dir, artifact.sha256);
      if (!existsSync(file)) {
        this.log.info({ modelId, artifact: name, bytes: artifact.bytes }, 'downloading model artifact');
        await this.client.downloadArtifact(modelId, name, artifact, file);
      }
      files[name] = file;
    }
    const model = loadModelFiles(files);
    if (model.manifest.modelId !== modelId)
      throw new Error(`the artifacts served for model ${modelId} are model ${model.manifest.modelId}`);
    return { ...model, onnxFile: files.onnx };
  }
}
