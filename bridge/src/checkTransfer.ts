import type { Deployment, TokenAddresses } from '@verity/core';
import { readTokenBalance, type Messenger } from './crossChainMessenger';
import { InsufficientBalanceError, InvalidArgumentError } from './errors';
import { isAddress } from './isAddress';
import { formatAmount } from './parseAmount';
import { resolveToken } from './resolveToken';

export type CheckTransferParameters = { token: string; amount: bigint; recipient?: string };
export type CheckTransferErrorType = InvalidArgumentError | InsufficientBalanceError;

/**
 * What a deposit (from L1) or a withdrawal (from L2) checks before sending anything: a known token, a positive
 * amount, a well-formed recipient, and a balance on the source chain that covers the amount.
 */
export async function checkTransfer(
  messenger: Messenger,
  deployment: Deployment,
  parameters: CheckTransferParameters,
  from: 'l1' | 'l2',
): Promise<TokenAddresses> {
  const token = resolveToken(deployment, parameters.token);
  if (parameters.amount <= 0n) throw new InvalidArgumentError('amount must be greater than 0');
  if (parameters.recipient !== undefined && !isAddress(parameters.recipient))
    throw new InvalidArgumentError(`invalid recipient address '${parameters.recipient}'`);
  const balance = await readTokenBalance(messenger, from, token[from], messenger.address);
  if (parameters.amount > balance)
    throw new InsufficientBalanceError(
      from === 'l1' ? 'L1' : 'L2',
      formatAmount(parameters.amount, token.decimals),
      formatAmount(balance, token.decimals),
      token.symbol,
    );
  return token;
}
