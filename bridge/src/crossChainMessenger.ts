/**
 * The only file that sees @eth-optimism/sdk and ethers v5. Everything it hands out is plain data (strings,
 * bigints), so callers keep using ethers v6. The SDK is in maintenance mode upstream; viem's OP Stack actions
 * would replace this file alone.
 */
import { CrossChainMessenger, MessageStatus, hashLowLevelMessage } from '@eth-optimism/sdk';
import { ethers } from 'ethers';

import type { Deployment } from '../../rollup/src/devnet/addresses';

export { MessageStatus };

export type CreateMessengerParameters = {
  deployment: Deployment;
  privateKey: string;
  pollingIntervalMs?: number;
};

export type Messenger = {
  sdk: CrossChainMessenger;
  address: string;
  l1Signer: ethers.Wallet;
  l2Signer: ethers.Wallet;
};

const ZERO = ethers.constants.AddressZero;

export function createMessenger(parameters: CreateMessengerParameters): Messenger {
  const { deployment } = parameters;
  const l1Provider = new ethers.providers.StaticJsonRpcProvider(deployment.l1.rpcUrl, deployment.l1.chainId);
  const l2Provider = new ethers.providers.StaticJsonRpcProvider(deployment.l2.rpcUrl, deployment.l2.chainId);
  l1Provider.pollingInterval = parameters.pollingIntervalMs ?? 200;
  l2Provider.pollingInterval = parameters.pollingIntervalMs ?? 200;
  const l1Signer = new ethers.Wallet(parameters.privateKey, l1Provider);
  const l2Signer = new ethers.Wallet(parameters.privateKey, l2Provider);
  const l1 = deployment.l1.contracts;
  const sdk = new CrossChainMessenger({
    l1SignerOrProvider: l1Signer,
    l2SignerOrProvider: l2Signer,
    l1ChainId: deployment.l1.chainId,
    l2ChainId: deployment.l2.chainId,
    bedrock: true,
    depositConfirmationBlocks: 0,
    l1BlockTimeSeconds: 1,
    // A custom chain: the SDK knows no addresses for it, so every L1 key is given (unused ones zero). L2 ones
    // default to the predeploys, and the standard bridge adapter is derived from L1StandardBridge.
    contracts: {
      l1: {
        AddressManager: ZERO,
        L1CrossDomainMessenger: l1.L1CrossDomainMessenger,
        L1StandardBridge: l1.L1StandardBridge,
        StateCommitmentChain: ZERO,
        CanonicalTransactionChain: ZERO,
        BondManager: ZERO,
        OptimismPortal: l1.OptimismPortal,
        L2OutputOracle: l1.L2OutputOracle,
        OptimismPortal2: ZERO,
        DisputeGameFactory: ZERO,
      },
    },
  });
  return { sdk, address: l1Signer.address, l1Signer, l2Signer };
}

const ERC20_ABI = [
  'function balanceOf(address) view returns (uint256)',
  'function allowance(address,address) view returns (uint256)',
];

export async function readTokenBalance(messenger: Messenger, chain: 'l1' | 'l2', token: string, owner: string): Promise<bigint> {
  const provider = chain === 'l1' ? messenger.l1Signer.provider : messenger.l2Signer.provider;
  const balance = (await new ethers.Contract(token, ERC20_ABI, provider).balanceOf(owner)) as ethers.BigNumber;
  return balance.toBigInt();
}

/** The status name of the first message sent by a transaction (L1→L2 deposit or L2→L1 withdrawal). */
export async function readMessageStatus(messenger: Messenger, txHash: string): Promise<keyof typeof MessageStatus> {
  const status = await messenger.sdk.getMessageStatus(txHash);
  return MessageStatus[status] as keyof typeof MessageStatus;
}

/** When a proven withdrawal may be finalized (L1 seconds), or null if it has not been proven. */
export async function readWithdrawalTiming(
  messenger: Messenger,
  l2TxHash: string,
): Promise<{ provenAt: bigint; finalizableAfter: bigint; l1Now: bigint } | null> {
  const low = await messenger.sdk.toLowLevelMessage(l2TxHash);
  const proven = await messenger.sdk.getProvenWithdrawal(hashLowLevelMessage(low));
  if (!proven || proven.timestamp.isZero()) return null;
  const period = BigInt(await messenger.sdk.getChallengePeriodSeconds());
  const latest = await messenger.l1Signer.provider.getBlock('latest');
  const provenAt = proven.timestamp.toBigInt();
  // The portal requires block.timestamp > provenAt + period, strictly.
  return { provenAt, finalizableAfter: provenAt + period, l1Now: BigInt(latest.timestamp) };
}

/**
 * The SDK estimates gas with the overrides it is given; without `from` it estimates as 0x0, which holds no ETH.
 * ethers v5 accepts `from` in overrides at run time (it must equal the signer) though its types omit it.
 */
function fromSender(messenger: Messenger): ethers.Overrides {
  return { from: messenger.address } as ethers.Overrides;
}

export type SentTransaction = { txHash: string; gasUsed: bigint; blockNumber: number };

async function settle(tx: ethers.providers.TransactionResponse): Promise<SentTransaction> {
  const receipt = await tx.wait();
  return { txHash: receipt.transactionHash, gasUsed: receipt.gasUsed.toBigInt(), blockNumber: receipt.blockNumber };
}

export async function sendApprove(messenger: Messenger, l1Token: string, l2Token: string, amount: bigint): Promise<SentTransaction | null> {
  const allowance = await messenger.sdk.approval(l1Token, l2Token);
  if (allowance.gte(amount.toString())) return null;
  return settle(await messenger.sdk.approveERC20(l1Token, l2Token, amount.toString(), { overrides: fromSender(messenger) }));
}

export async function sendDeposit(messenger: Messenger, l1Token: string, l2Token: string, amount: bigint, recipient?: string): Promise<SentTransaction> {
  return settle(
    await messenger.sdk.depositERC20(l1Token, l2Token, amount.toString(), { recipient, overrides: fromSender(messenger) }),
  );
}

export async function sendWithdrawal(messenger: Messenger, l1Token: string, l2Token: string, amount: bigint, recipient?: string): Promise<SentTransaction> {
  return settle(
    await messenger.sdk.withdrawERC20(l1Token, l2Token, amount.toString(), { recipient, overrides: fromSender(messenger) }),
  );
}

export async function sendProve(messenger: Messenger, l2TxHash: string): Promise<SentTransaction> {
  return settle(await messenger.sdk.proveMessage(l2TxHash, { overrides: fromSender(messenger) }));
}

export async function sendFinalize(messenger: Messenger, l2TxHash: string): Promise<SentTransaction> {
  return settle(await messenger.sdk.finalizeMessage(l2TxHash, { overrides: fromSender(messenger) }));
}
