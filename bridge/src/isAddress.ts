/** A 20-byte hex address; mixed case must carry a valid checksum (checked by ethers when used). */
export function isAddress(value: string): boolean {
  return /^0x[0-9a-fA-F]{40}$/.test(value);
}
