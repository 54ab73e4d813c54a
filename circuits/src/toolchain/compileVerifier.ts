import { compileSolidity } from '@verity/contracts';

export type CompiledVerifier = { abi: unknown[]; bytecode: string };

/** Compiles the Groth16 verifier snarkjs generated for a model (contract `Groth16Verifier`). */
export function compileVerifier(source: string): CompiledVerifier {
  const verifier = compileSolidity({ 'Groth16Verifier.sol': source }).find((c) => c.name === 'Groth16Verifier');
  if (!verifier) throw new Error('the generated verifier source holds no Groth16Verifier contract');
  return { abi: verifier.abi, bytecode: verifier.bytecode };
}
