import type { Deployment, TokenAddresses } from '@verity/core';
import { UnknownTokenError } from './errors';

/** Looks a token up by symbol (case-insensitive) or by its L1 or L2 address in the deployment. */
export function resolveToken(deployment: Deployment, token: string): TokenAddresses {
  const wanted = token.toLowerCase();
  const found = Object.values(deployment.tokens).find(
    (t) => t.symbol.toLowerCase() === wanted || t.l1.toLowerCase() === wanted || t.l2.toLowerCase() === wanted,
  );
  if (!found) throw new UnknownTokenError(token, Object.keys(deployment.tokens));
  return found;
}
