/**
 * The only file that sees @eth-optimism/sdk and ethers v5. Everything it hands out is plain data (strings,
 * bigints), so callers keep using ethers v6. The SDK is in maintenance mode upstream; viem's OP Stack actions
 * would replace this file alone.
 */
import { CrossChainMessenger, MessageStatus, hashLowLevelMessage } from '@eth-optimism/sdk';
import { ethers } from 'ethers';

import { type Deployment, BaseError, ChainUnavailableError, ContractRevertedError } from '@verity/core';

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
  return guard(async () => {
    const provider = chain === 'l1' ? messenger.l1Signer.provider : messenger.l2Signer.provider;
    const balance = (await new ethers.Contract(token, ERC20_ABI, provider).balanceOf(owner)) as ethers.BigNumber;
    return balance.toBigInt();
  });
}

/** The status name of the first message sent by a transaction (L1→L2 deposit or L2→L1 withdrawal). */
export async function readMessageStatus(messenger: Messenger, txHash: string): Promise<keyof typeof MessageStatus> {
  return guard(async () => {
    const status = await messenger.sdk.getMessageStatus(txHash);
    return MessageStatus[status] as keyof typeof MessageStatus;
  });
}

/** When a proven withdrawal may be finalized (L1 seconds), or null if it has not been proven. */
export async function readWithdrawalTiming(
  messenger: Messenger,
  l2TxHash: string,
): Promise<{ provenAt: bigint; finalizableAfter: bigint; l1Now: bigint } | null> {
  return guard(async () => {
    const low = await messenger.sdk.toLowLevelMessage(l2TxHash);
    const proven = await messenger.sdk.getProvenWithdrawal(hashLowLevelMessage(low));
    if (!proven || proven.timestamp.isZero()) return null;
    const period = BigInt(await messenger.sdk.getChallengePeriodSeconds());
    const latest = await messenger.l1Signer.provider.getBlock('latest');
    const provenAt = proven.timestamp.toBigInt();
    // The portal requires block.timestamp > provenAt + period, strictly.
    return { provenAt, finalizableAfter: provenAt + period, l1Now: BigInt(latest.timestamp) };
  });
}

/**
 * The SDK estimates gas with the overrides it is given; without `from` it estimates as 0x0, which holds no ETH.
 * ethers v5 accepts `from` in overrides at run time (it must equal the signer) though its types omit it.
 */
function fromSender(messenger: Messenger): ethers.Overrides {
  return { from: messenger.address } as ethers.Overrides;
}

type V5Error = Error & { code?: string; reason?: string; url?: string; error?: V5Error; serverError?: { code?: string } };

/** An RPC URL without credentials, safe for messages and logs. */
function redactUrl(url: string | undefined): string {
  if (!url) return 'the RPC';
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'the RPC';
  }
}

/**
 * Translates ethers v5 / SDK errors into the project's errors at the package boundary. v5 reports a refused
 * connection as a CALL_EXCEPTION with "missing revert data", which would read as a revert: look underneath.
 */
export function toBridgeError(err: unknown): BaseError {
  if (err instanceof BaseError) return err;
  const e = err as V5Error;
  let url: string | undefined;
  for (let cur: V5Error | undefined = e; cur && !url; cur = cur.error) url = cur.url;
  for (let cur: V5Error | undefined = e; cur; cur = cur.error) {
    if (
      cur.serverError?.code === 'ECONNREFUSED' ||
      cur.code === 'NETWORK_ERROR' ||
      /ECONNREFUSED|could not detect network/.test(cur.message ?? '')
    )
      return new ChainUnavailableError({
        details: `cannot reach ${redactUrl(url)}; is the devnet running? (\`verity devnet up\`)`,
        cause: err,
      });
  }
  if (e?.code === 'CALL_EXCEPTION' || e?.code === 'UNPREDICTABLE_GAS_LIMIT') {
    const reason = e.reason ?? e.error?.reason;
    return new ContractRevertedError(reason?.replace(/^execution reverted: /, ''), { cause: err });
  }
  return new BaseError('BRIDGE_ERROR', 'bridge call failed', { details: (e?.message ?? String(err)).split('\n')[0], cause: err });
}

/** Runs an SDK call and translates whatever it throws. */
export async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toBridgeError(err);
  }
}

export type SentTransaction = { txHash: string; gasUsed: bigint; blockNumber: number };

async function settle(tx: ethers.providers.TransactionResponse): Promise<SentTransaction> {
  const receipt = await tx.wait();
  return { txHash: receipt.transactionHash, gasUsed: receipt.gasUsed.toBigInt(), blockNumber: receipt.blockNumber };
}

export async function sendApprove(
  messenger: Messenger,
  l1Token: string,
  l2Token: string,
  amount: bigint,
): Promise<SentTransaction | null> {
  return guard(async () => {
    const allowance = await messenger.sdk.approval(l1Token, l2Token);
    if (allowance.gte(amount.toString())) return null;
    return settle(await messenger.sdk.approveERC20(l1Token, l2Token, amount.toString(), { overrides: fromSender(messenger) }));
  });
}

export async function sendDeposit(
  messenger: Messenger,
  l1Token: string,
  l2Token: string,
  amount: bigint,
  recipient?: string,
): Promise<SentTransaction> {
  return guard(async () =>
    settle(
      await messenger.sdk.depositERC20(l1Token, l2Token, amount.toString(), { recipient, overrides: fromSender(messenger) }),
    ),
  );
}

export async function sendWithdrawal(
  messenger: Messenger,
  l1Token: string,
  l2Token: string,
  amount: bigint,
  recipient?: string,
): Promise<SentTransaction> {
  return guard(async () =>
    settle(
      await messenger.sdk.withdrawERC20(l1Token, l2Token, amount.toString(), { recipient, overrides: fromSender(messenger) }),
    ),
  );
}

export async function sendProve(messenger: Messenger, l2TxHash: string): Promise<SentTransaction> {
  return guard(async () => settle(await messenger.sdk.proveMessage(l2TxHash, { overrides: fromSender(messenger) })));
}

export async function sendFinalize(messenger: Messenger, l2TxHash: string): Promise<SentTransaction> {
  return guard(async () => settle(await messenger.sdk.finalizeMessage(l2TxHash, { overrides: fromSender(messenger) })));
}
