import type { Signer } from 'ethers';

import { ModelRegistry__factory } from '../build/types';
import { toSolidityVerifyingKey, type SnarkjsVerificationKey } from './groth16Encoding';

/** The parts of a compiled model's manifest that go on chain (circuits' ModelManifest has them all). */
export type ModelRegistration = {
  modelId: string;
  name: string;
  onnxSha256: string;
  circuitSha256: string;
  input: { shape: number[]; scale: number; bits: number };
  output: { shape: number[]; scale: number; bits: number };
};

export type RegisterModelOnL1Parameters = {
  registry: string;
  /** Becomes the model's publisher (who may deactivate it and upload its artifacts to sequencers). */
  publisher: Signer;
  manifest: ModelRegistration;
  vkey: SnarkjsVerificationKey;
};

export type RegisterModelOnL1ReturnType = { txHash: string; gasUsed: bigint; alreadyRegistered: boolean };

/**
 * Registers a compiled, set-up model in ModelRegistry on L1: its verifying key (G2 in precompile order), hashes,
 * shapes and scales. Idempotent for its publisher: a model already registered is reported, not registered twice.
 */
export async function registerModelOnL1(parameters: RegisterModelOnL1Parameters): Promise<RegisterModelOnL1ReturnType> {
  const registry = ModelRegistry__factory.connect(parameters.registry, parameters.publisher);
  const m = parameters.manifest;
  if (await registry.isRegistered(m.modelId)) return { txHash: '', gasUsed: 0n, alreadyRegistered: true };
  const tx = await registry.registerModel(m.modelId, toSolidityVerifyingKey(parameters.vkey), {
    onnxSha256: '0x' + m.onnxSha256,
    circuitSha256: '0x' + m.circuitSha256,
    inputShape: m.input.shape,
    outputShape: m.output.shape,
    inputScale: m.input.scale,
    outputScale: m.output.scale,
    inputBits: m.input.bits,
    outputBits: m.output.bits,
    name: m.name,
  });
  const receipt = await tx.wait();
  return { txHash: tx.hash, gasUsed: receipt?.gasUsed ?? 0n, alreadyRegistered: false };
}
