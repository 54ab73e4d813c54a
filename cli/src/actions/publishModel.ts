import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { NonceManager, Wallet, type JsonRpcProvider } from 'ethers';

import { assertSetupRegistrable, type CompiledModel } from '@verity/circuits';
import { registerModelOnL1 } from '@verity/contracts';
import { InvalidArgumentError, type Deployment } from '@verity/core';
import { L1_CHAIN_ID } from '@verity/rollup';
import type { SequencerApi } from '../sequencerApi';
import { uploadArtifacts } from './uploadArtifacts';

export type PublishModelParameters = {
  model: CompiledModel;
  /** The ONNX file the model was compiled from (provers run it for the float reference). */
  onnxFile: string;
  deployment: Deployment;
  l1: JsonRpcProvider;
  api: SequencerApi;
  publisherKey: string;
  /**
   * Accept a model whose setup is an INSECURE development one; honoured only on the local devnet (L1 chain
   * L1_CHAIN_ID), refused everywhere else.
   */
  allowDevelopmentSetup?: boolean;
  onStep?: (step: string) => void;
};

export type PublishModelReturnType = { l1TxHash?: string; l1Gas?: bigint; alreadyRegistered: boolean };

/**
 * `verity model register`: the verifying key and metadata go to ModelRegistry on L1 (what settlement checks proofs
 * against), then the proving artifacts to the sequencer, each signed by the publisher (the sequencer checks the
 * signer is the L1 publisher and that the key equals the registered one). A development setup is refused
 * (DevelopmentSetupRefusedError) before anything is sent, unless allowed explicitly and the chain is the devnet's.
 */
export async function publishModel(parameters: PublishModelParameters): Promise<PublishModelReturnType> {
  const { model, deployment, api } = parameters;
  if (!deployment.verity) throw new InvalidArgumentError('the deployment has no ModelRegistry (start one with `npm start`)');
  if (!model.manifest.setup)
    throw new InvalidArgumentError(
      `model ${model.manifest.name} has no setup yet: run \`verity model setup ${model.manifest.name}\``,
    );
  assertSetupRegistrable({
    model: model.manifest.name,
    setup: model.manifest.setup,
    zkey: model.paths.zkey,
    chainId: deployment.l1.chainId,
    developmentChainIds: parameters.allowDevelopmentSetup ? [L1_CHAIN_ID] : [],
  });
  const publisher = new Wallet(parameters.publisherKey, parameters.l1);
  parameters.onStep?.('verifying key → ModelRegistry (L1)');
  const registered = await registerModelOnL1({
    registry: deployment.verity.l1.ModelRegistry,
    publisher: new NonceManager(publisher),
    manifest: model.manifest,
    vkey: JSON.parse(readFileSync(model.paths.vkey, 'utf8')),
  });
  await uploadArtifacts({
    api,
    publisher,
    chainId: deployment.l1.chainId,
    registry: deployment.verity.l1.ModelRegistry,
    modelId: model.manifest.modelId,
    artifacts: [
      { name: 'manifest', file: model.paths.manifest },
      { name: 'program', file: model.paths.program },
      { name: 'zkey', file: model.paths.zkey },
      { name: 'vkey', file: model.paths.vkey },
      { name: 'onnx', file: parameters.onnxFile },
    ],
    onStep: parameters.onStep,
  });
  return {
    l1TxHash: registered.txHash || undefined,
    l1Gas: registered.gasUsed || undefined,
    alreadyRegistered: registered.alreadyRegistered,
  };
}

/** The ONNX file of a reference model. */
export const referenceOnnxFile = (name: string): string =>
  join(__dirname, '..', '..', '..', 'circuits', 'models', name, 'model.onnx');
