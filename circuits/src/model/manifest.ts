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
  setup?: { ptau: string; insecure: boolean; zkeySha256: string };
};
