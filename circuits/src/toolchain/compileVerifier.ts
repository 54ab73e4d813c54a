// solc-js ships no types; its API is a single JSON-in/JSON-out function.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as { compile(input: string): string };

export type CompiledVerifier = { abi: unknown[]; bytecode: string };

/** Compiles the Groth16 verifier snarkjs generated for a model (contract `Groth16Verifier`). */
export function compileVerifier(source: string): CompiledVerifier {
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: 'Solidity',
        sources: { 'Groth16Verifier.sol': { content: source } },
        settings: {
          optimizer: { enabled: true, runs: 200 },
          outputSelection: { '*': { Groth16Verifier: ['abi', 'evm.bytecode.object'] } },
        },
      }),
    ),
  ) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const c = output.contracts['Groth16Verifier.sol']!.Groth16Verifier!;
  return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
}
