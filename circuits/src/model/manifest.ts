import type { Phase2Contribution } from '../setup/phase2';

/** How a model's proving key came to be: who could forge proofs with it, and the transcript to check that. */
export type ModelSetup = {
  /** True when phase 1 (powers of tau) was generated on this machine: its one contributor knows tau. */
  insecure: boolean;
  /** Human description of the powers of tau used. */
  ptau: string;
  ptauSha256: string;
  /** Phase 2, oldest first; the last one is the final beacon. Verified against the r1cs and ptau (snarkjs). */
  contributions: Phase2Contribution[];
  zkeySha256: string;
  vkeySha256: string;
};

/** What a compiled model is, for humans and for the chain: identity, hashes, fixed-point format, sizes. */
export type ModelManifest = {
  name: string;
  /** Decimal field element; the circuit pins public signal 0 to it. */
  modelId: string;
  onnxSha256: string;
  circuitSha256: string;
  r1csSha256: string;
  compiler: { circom: string; verity: string };
  publicSignals: ['modelId', 'inputCommitment', 'outputCommitment', 'jobId', 'prover'];
  input: { shape: number[]; scale: number; bits: number; maxAbs: number };
  output: { shape: number[]; scale: number; bits: number; head: string };
  ops: string[];
  layers: { kind: string; ops: string[]; outSize: number; shift?: number; bits: number; relu?: boolean }[];
  constraints: number;
  parameters: number;
  activations: number;
  rounding: string;
  setup?: ModelSetup;
};
