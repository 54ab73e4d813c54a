import { parseAddress } from './parseAddress';

const ALICE = '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc';

describe('parseAddress', () => {
  it('checksums lowercase and uppercase hex, and keeps a correct checksum', () => {
    expect(parseAddress({ field: 'requester', value: ALICE.toLowerCase() })).toBe(ALICE);
    expect(parseAddress({ field: 'requester', value: '0x' + ALICE.slice(2).toUpperCase() })).toBe(ALICE);
    expect(parseAddress({ field: 'requester', value: ALICE })).toBe(ALICE);
  });

  it.each([
    ['a wrong checksum', ALICE.replace('D1a', 'd1a')],
    ['an uppercase 0X prefix', '0X' + ALICE.slice(2).toLowerCase()],
  ])('refuses %s with a VALIDATION_FAILED naming the field', (_name, value) => {
    expect(() => parseAddress({ field: 'request.requester', value })).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        shortMessage: expect.stringMatching(/^request\.requester .* EIP-55/),
      }),
    );
  });
});
