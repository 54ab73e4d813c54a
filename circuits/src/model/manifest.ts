import type { Phase2Contribution } from '../setup/phase2';

/** How a model's proving key came to be: who could forge proofs with it, and the transcript to check that. */
export type ModelSetup = {
  /**
   * `powers-of-tau`: phase 1 from a ceremony file (or a local one, then `insecure`) plus a verified phase 2.
   * `development`: INSECURE, the proving key was written straight from toxic waste sampled on this machine (no
   * powers of tau, no phase 2; `verity model setup --insecure-dev-setup`); never registered outside a local devnet.
   * Absent in manifests written before development setups existed: those are all `powers-of-tau`.
   */
  kind?: 'powers-of-tau' | 'development';
  /** True when the setup's toxic waste was (or could have been) known on this machine: local powers of tau, or a development setup. */
  insecure: boolean;
  /** Human description of the powers of tau used (for a development setup: that there were none). */
  ptau: string;
  /** Empty for a development setup. */
  ptauSha256: string;
  /**
   * Phase 2, oldest first; the last one is the final beacon. Verified against the r1cs and ptau (snarkjs). Empty
   * for a development setup.
   */
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
  /** What built the circuit: Verity's compiler version and its constraint builder. */
  compiler: { circuit: string; verity: string };
  publicSignals: ['modelId', 'inputCommitment', 'outputCommitment', 'jobId', 'prover'];
  /**
   * The input a request carries, flat. `parts`: the graph's inputs when it has several (the request's values are
   * their concatenation, in this order; `shape` is then [total]).
   */
  input: { shape: number[]; scale: number; bits: number; maxAbs: number; parts?: { name: string; shape: number[] }[] };
  output: { shape: number[]; scale: number; bits: number; head: string };
  ops: string[];
  layers: { kind: string; ops: string[]; outSize: number; shift?: number; bits: number; relu?: boolean }[];
  constraints: number;
  /** Elements of the ONNX file's initializers (weights, biases, constants). */
  parameters: number;
  /** Weight terms of the circuit's affine maps (a convolution's kernel counts once per output it touches). */
  affineTerms?: number;
  activations: number;
  rounding: string;
  setup?: ModelSetup;
};

/** A development setup: INSECURE, for tests and a local devnet only (see ModelSetup.kind). */
export const isDevelopmentSetup = (setup: Pick<ModelSetup, 'kind'> | undefined): boolean => setup?.kind === 'development';
