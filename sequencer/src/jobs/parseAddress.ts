import { getAddress } from 'ethers';

import { ValidationError } from '../common/errors';

export type ParseAddressParameters = { field: string; value: string };
export type ParseAddressReturnType = string;
export type ParseAddressErrorType = ValidationError;

/** Recent addresses as given and checksummed (a checksum costs a keccak256; intake parses one per request). */
const checksummed = new Map<string, string>();
const CHECKSUMMED_MAX = 4096;

/**
 * An address from a request, checksummed. All-lowercase and all-uppercase hex are taken as they are; mixed case must
 * be the EIP-55 checksum, since a wrong one usually means a mistyped address (ethers throws: a 400, never a 500).
 */
export function parseAddress({ field, value }: ParseAddressParameters): ParseAddressReturnType {
  const known = typeof value === 'string' ? checksummed.get(value) : undefined;
  if (known !== undefined) return known;
  try {
    const address = getAddress(value);
    if (checksummed.size >= CHECKSUMMED_MAX) checksummed.delete(checksummed.keys().next().value!);
    checksummed.set(value, address);
    return address;
  } catch {
    throw new ValidationError(
      `${field} '${String(value).slice(0, 60)}' is not a valid address: mixed-case hex must carry the EIP-55 checksum`,
    );
  }
}
