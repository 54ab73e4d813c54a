import { randomBytes } from 'node:crypto';

import { getAddress, keccak256 } from 'ethers';

import { checksumAddress, keccak256Bytes } from './keccak';

describe('keccak', () => {
  it('hashes as ethers does, for empty, short, block-sized and long inputs', () => {
    for (const length of [0, 1, 31, 32, 135, 136, 137, 224, 1000]) {
      const data = randomBytes(length);
      expect('0x' + keccak256Bytes(data).toString('hex')).toBe(keccak256(data));
      // A view into a larger buffer hashes only its own bytes.
      const padded = Buffer.concat([randomBytes(7), data, randomBytes(5)]);
      expect(keccak256Bytes(new Uint8Array(padded.buffer, padded.byteOffset + 7, length))).toEqual(keccak256Bytes(data));
    }
  });

  it('checksums addresses as EIP-55 (ethers’ getAddress) whatever the input case, and refuses malformed ones', () => {
    for (let i = 0; i < 200; i++) {
      const hex = randomBytes(20).toString('hex');
      expect(checksumAddress(hex)).toBe(getAddress('0x' + hex));
      expect(checksumAddress(hex.toUpperCase())).toBe(getAddress('0x' + hex));
    }
    for (const bad of ['', '12', 'zz'.repeat(20), '0x' + '11'.repeat(19), '11'.repeat(21)])
      expect(() => checksumAddress(bad)).toThrow(TypeError);
  });
});
