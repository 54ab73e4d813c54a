/**
 * @verity/rollup: the local OP Stack. anvil L1 + L2 with the Bedrock contracts and predeploys, the deposit
 * relayer, the output proposer, the challenger, the RPC gateway, and the typed config of those processes.
 * Production swaps the devnet for op-node / op-geth / op-proposer; the relayer, proposer and challenger are
 * stand-ins for their roles.
 */
export { loadRollupConfig, type RollupConfig } from './config';
export { DEVNET_MNEMONIC, DEVNET_ROLES, devnetPrivateKey, devnetRoleKey, type DevnetRole } from './devnet/accounts';
export { anvilBinaryPath, freePort, startAnvil, type Anvil, type AnvilParameters } from './devnet/anvil';
export { clearDevnetState, isProcessAlive, readDevnetState, writeDevnetState, type DevnetState } from './devnet/devnetState';
export { PREDEPLOYS } from './devnet/predeploys';
export {
  L1_CHAIN_ID,
  L2_CHAIN_ID,
  startDevnet,
  VTY_DEMO_GRANT,
  VTY_SUPPLY,
  type Devnet,
  type DevnetHealth,
  type StartDevnetParameters,
} from './devnet/up';
export { DepositRelayer, relayerStreamId, type DepositRelayerParameters, type RelayDepth } from './relayer/depositRelayer';
export {
  decodeDepositLog,
  depositSourceHash,
  depositTransactionHash,
  TRANSACTION_DEPOSITED_TOPIC,
  type DepositTransaction,
} from './relayer/depositTransaction';
export { RelayerStore } from './relayer/relayerStore';
export { computeOutputRoot } from './proposer/computeOutputRoot';
export { OutputProposer, type OutputProposerParameters } from './proposer/outputProposer';
export { Challenger, type ChallengerParameters } from './challenger/challenger';
export { startRpcGateway, type RpcGateway, type StartRpcGatewayParameters } from './gateway/rpcGateway';
export { rpcMethodPolicy } from './gateway/rpcMethodPolicy';
export * from './errors/rollup';
export * from './errors/gateway';
export { deployVerity, type DeployVerityParameters } from './devnet/deployVerity';
