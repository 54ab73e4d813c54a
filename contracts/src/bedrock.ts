import { dirname, join } from 'node:path';

/**
 * The OP Bedrock contracts Verity deploys, straight from the forge artifacts of @eth-optimism/contracts-bedrock
 * (pinned: a portal >= 3.0.0 would switch @eth-optimism/sdk to fault-proof games). Never rewritten here.
 */
export const BEDROCK_CONTRACTS = [
  'Proxy',
  'SuperchainConfig',
  'SystemConfig',
  'L2OutputOracle',
  'OptimismPortal',
  'L1CrossDomainMessenger',
  'L1StandardBridge',
  'OptimismMintableERC20Factory',
  'OptimismMintableERC20',
  'L2ToL1MessagePasser',
  'L2CrossDomainMessenger',
  'L2StandardBridge',
  'L1Block',
] as const;

export type BedrockContractName = (typeof BEDROCK_CONTRACTS)[number];

const bedrockRoot = dirname(require.resolve('@eth-optimism/contracts-bedrock/package.json'));

export function bedrockArtifactPath(name: BedrockContractName): string {
  return join(bedrockRoot, 'forge-artifacts', `${name}.sol`, `${name}.json`);
}

export type BedrockArtifact = {
  abi: unknown[];
  bytecode: { object: `0x${string}` };
  deployedBytecode: { object: `0x${string}` };
};

export function loadBedrockArtifact(name: BedrockContractName): BedrockArtifact {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(bedrockArtifactPath(name)) as BedrockArtifact;
}
