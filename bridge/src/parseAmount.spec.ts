import { formatAmount, parseAmount } from './parseAmount';

describe('parseAmount', () => {
  it.each([
    ['100', 100n * 10n ** 18n],
    ['0.5', 5n * 10n ** 17n],
    ['1.000000000000000001', 10n ** 18n + 1n],
    [' 7 ', 7n * 10n ** 18n],
  ])('parses %s', (input, expected) => {
    expect(parseAmount(input, 18)).toBe(expected);
  });

  it.each(['0', '0.0', '-1', '+1', '1e18', 'abc', '', '.5', '1.', '0x10', '1,5'])('rejects %p', (input) => {
    expect(() => parseAmount(input, 18)).toThrow(/invalid amount/);
  });

  it('rejects more decimals than the token has', () => {
    expect(() => parseAmount('0.001', 2)).toThrow(/at most 2 decimal places/);
  });

  it('formats base units back', () => {
    expect(formatAmount(parseAmount('9997.5', 18), 18)).toBe('9997.5');
    expect(formatAmount(0n, 18)).toBe('0');
  });
});
