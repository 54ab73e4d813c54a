import { isError, type Interface } from 'ethers';

/**
 * The name of the custom error (or the reason string) a failed call or send reverted with. ethers v6 decodes
 * custom errors only for static calls; a failed send's gas estimate carries just the raw revert data.
 */
export function decodeRevert(err: unknown, contractInterface: Interface): string | undefined {
  if (!isError(err, 'CALL_EXCEPTION')) return undefined;
  if (err.reason) return err.reason;
  if (!err.data) return undefined;
  return contractInterface.parseError(err.data)?.name;
}
