import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { Signer } from 'ethers';

import { artifactMessage } from '@verity/sequencer';
import type { SequencerApi } from '../sequencerApi';

export type UploadArtifactsParameters = {
  api: SequencerApi;
  /** The model's publisher on L1: the sequencer accepts an artifact only under its signature. */
  publisher: Pick<Signer, 'signMessage'>;
  /** The L1 chain and ModelRegistry the model is registered in (what each signature is bound to). */
  chainId: number | bigint;
  registry: string;
  modelId: string;
  /** Artifact names and their files, uploaded in this order (the sequencer wants a manifest before its zkey). */
  artifacts: readonly { name: string; file: string }[];
  onStep?: (step: string) => void;
};

export type UploadArtifactsReturnType = { name: string; sha256: string; bytes: number }[];

export type UploadArtifactsErrorType = Error;

/**
 * Uploads a registered model's artifacts to the sequencer, one by one, each signed by the publisher over
 * artifactMessage (registry, chain, model, name, content hash, length).
 *
 * @example
 * await uploadArtifacts({ api, publisher, chainId, registry, modelId, artifacts: [{ name: 'zkey', file: paths.zkey }] });
 */
export async function uploadArtifacts(parameters: UploadArtifactsParameters): Promise<UploadArtifactsReturnType> {
  const { api, publisher, chainId, registry, modelId } = parameters;
  const uploaded: UploadArtifactsReturnType = [];
  for (const { name, file } of parameters.artifacts) {
    parameters.onStep?.(`${name} → sequencer`);
    const bytes = readFileSync(file);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    // Bound to this registry and chain: the signature is worthless to a sequencer of another deployment.
    const message = artifactMessage({ chainId, registry, modelId, name, sha256, bytes: bytes.length });
    await api.uploadArtifact(modelId, name, bytes, sha256, await publisher.signMessage(message));
    uploaded.push({ name, sha256, bytes: bytes.length });
  }
  return uploaded;
}
