import { readFileSync } from 'node:fs';

import { BaseError } from '@verity/core';

// solc-js ships no types; its API is a single JSON-in/JSON-out function.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as {
  version(): string;
  compile(input: string, options: { import(path: string): { contents: string } | { error: string } }): string;
};

export const solcVersion = (): string => solc.version();

export type CompiledContract = { source: string; name: string; abi: unknown[]; bytecode: string; deployedBytecode: string };

export class SolidityCompileError extends BaseError {
  override name = 'SolidityCompileError';
  readonly messages: string[];
  constructor(messages: string[]) {
    super('SOLIDITY_COMPILE_FAILED', 'solc could not compile the contracts', { details: messages[0] });
    this.messages = messages;
  }
}

type SolcOutput = {
  errors?: { severity: 'error' | 'warning'; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
};

/** Imports (e.g. @openzeppelin/...) resolve from node_modules; nothing is fetched. */
function resolveImport(path: string): { contents: string } | { error: string } {
  try {
    return { contents: readFileSync(require.resolve(path), 'utf8') };
  } catch {
    return { error: `import not found: ${path}` };
  }
}

/**
 * The project's one solc-js invocation (0.8.28, optimizer 200 runs, cancun): source name → source text in,
 * every contract with bytecode out. Used by the contracts build and for the verifiers snarkjs generates.
 */
export function compileSolidity(sources: Record<string, string>): CompiledContract[] {
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([name, content]) => [name, { content }])),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: resolveImport })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new SolidityCompileError(errors.map((e) => e.formattedMessage));
  return Object.entries(output.contracts ?? {}).flatMap(([source, contracts]) =>
    Object.entries(contracts)
      .filter(([, c]) => c.evm.bytecode.object !== '')
      .map(([name, c]) => ({
        source,
        name,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      })),
  );
}
