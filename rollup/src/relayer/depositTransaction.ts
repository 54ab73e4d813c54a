import { concat, dataSlice, encodeRlp, getAddress, keccak256, toBeHex, zeroPadValue, type Log } from 'ethers';

import { OptimismPortal__factory } from '@verity/contracts';

/** A user deposit, decoded from the portal's TransactionDeposited event (OP spec, deposit version 0). */
export type DepositTransaction = {
  sourceHash: string;
  /** Already aliased by the portal when the L1 caller is a contract. */
  from: string;
  /** null for a contract creation. */
  to: string | null;
  mint: bigint;
  value: bigint;
  gasLimit: bigint;
  isSystemTx: false;
  data: string;
  l1BlockHash: string;
  l1BlockNumber: bigint;
  l1LogIndex: number;
  l1TxHash: string;
};

const portalInterface = OptimismPortal__factory.createInterface();
export const TRANSACTION_DEPOSITED_TOPIC = portalInterface.getEvent('TransactionDeposited').topicHash;

/** User-deposit source hash: keccak256(bytes32(0) ++ keccak256(l1BlockHash ++ bytes32(l1LogIndex))). */
export function depositSourceHash(l1BlockHash: string, l1LogIndex: number): string {
  const depositId = keccak256(concat([l1BlockHash, zeroPadValue(toBeHex(l1LogIndex), 32)]));
  return keccak256(concat([zeroPadValue('0x00', 32), depositId]));
}

/** Decodes a TransactionDeposited log; throws on any other log or an unknown deposit version. */
export function decodeDepositLog(log: Log): DepositTransaction {
  const parsed = portalInterface.parseLog(log);
  if (!parsed || parsed.name !== 'TransactionDeposited') throw new Error('not a TransactionDeposited log');
  const version = parsed.args.version as bigint;
  if (version !== 0n) throw new Error(`unsupported deposit version ${version}`);
  const opaque = parsed.args.opaqueData as string;
  // abi.encodePacked(uint256 mint, uint256 value, uint64 gasLimit, bool isCreation, bytes data)
  const mint = BigInt(dataSlice(opaque, 0, 32));
  const value = BigInt(dataSlice(opaque, 32, 64));
  const gasLimit = BigInt(dataSlice(opaque, 64, 72));
  const isCreation = BigInt(dataSlice(opaque, 72, 73)) !== 0n;
  const data = dataSlice(opaque, 73);
  return {
    sourceHash: depositSourceHash(log.blockHash, log.index),
    from: getAddress(parsed.args.from as string),
    to: isCreation ? null : getAddress(parsed.args.to as string),
    mint,
    value,
    gasLimit,
    isSystemTx: false,
    data,
    l1BlockHash: log.blockHash,
    l1BlockNumber: BigInt(log.blockNumber),
    l1LogIndex: log.index,
    l1TxHash: log.transactionHash,
  };
}

const rlpQuantity = (n: bigint): string => (n === 0n ? '0x' : toBeHex(n));

/** The L2 transaction hash of a deposit: keccak256(0x7e ++ rlp([sourceHash, from, to, mint, value, gas, isSystemTx, data])). */
export function depositTransactionHash(deposit: DepositTransaction): string {
  const fields = [
    deposit.sourceHash,
    deposit.from,
    deposit.to ?? '0x',
    rlpQuantity(deposit.mint),
    rlpQuantity(deposit.value),
    rlpQuantity(deposit.gasLimit),
    deposit.isSystemTx ? '0x01' : '0x',
    deposit.data,
  ];
  return keccak256(concat(['0x7e', encodeRlp(fields)]));
}
