import type { ClassifyError } from '@verity/core';
import { chainErrorSeverity, toChainError } from '@verity/contracts';

/** How the rollup's loops read a failure: through the ethers v6 boundary (an unreachable RPC is transient). */
export const classifyChainError: ClassifyError = (err) => {
  const error = toChainError(err);
  return { error, severity: chainErrorSeverity(error) };
};
