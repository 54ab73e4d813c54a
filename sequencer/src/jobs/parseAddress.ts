import { getAddress } from 'ethers';

import { ValidationError } from '../common/errors';

export type ParseAddressParameters = { field: string; value: string };
export type ParseAddressReturnType = string;
export type ParseAddressErrorType = ValidationError;

/**
 * An address from a request, checksummed. All-lowercase and all-uppercase hex are taken as they are; mixed case must
 * be the EIP-55 checksum, since a wrong one usually means a mistyped address (ethers throws: a 400, never a 500).
 */
export function parseAddress({ field, value }: ParseAddressParameters): ParseAddressReturnType {
  try {
    return getAddress(value);
  } catch {
    throw new ValidationError(
      `${field} '${String(value).slice(0, 60)}' is not a valid address: mixed-case hex must carry the EIP-55 checksum`,
    );
  }
}
