import { BN254_P } from '@verity/circuits';

import { canonicalizeProof, sameProof } from './canonicalizeProof';

// Coordinates of a real snarkjs proof's shape (values need not be on the curve: only the encoding is checked here).
const proof = () => ({
  pi_a: [
    '1368015179489954701390400359078579693043519447331113978918064868415326638035',
    '9918110051302171585080402603319702774565515993150576347155970296011118125764',
    '1',
  ],
  pi_b: [
    [
      '10857046999023057135944570762232829481370756359578518086990519993285655852781',
      '11559732032986387107991004021392285783925812861821192530917403151452391805634',
    ],
    [
      '8495653923123431417604973247489272438418190587263600148770280649306958101930',
      '4082367875863433681332203403145435568316851327593401208105741076214120093531',
    ],
    ['1', '0'],
  ],
  pi_c: ['0', '21888242871839275222246405745257275088696311157297806624820020430627329454018', '1'],
  protocol: 'groth16',
  curve: 'bn128',
});
type Proof = ReturnType<typeof proof>;
const P = BN254_P;

describe('canonicalizeProof', () => {
  it('keeps a canonical proof as it is (coordinates 0 and p - 1 included)', () => {
    expect(canonicalizeProof(proof())).toEqual(proof());
  });

  it('fills in protocol and curve when they are left out, and drops nothing else', () => {
    const { protocol: _p, curve: _c, ...bare } = proof();
    expect(canonicalizeProof(bare)).toEqual(proof());
  });

  it('is the same proof whatever the key order (a jsonb round trip reorders keys)', () => {
    const p = proof();
    const reordered = { curve: p.curve, pi_c: p.pi_c, protocol: p.protocol, pi_b: p.pi_b, pi_a: p.pi_a };
    expect(sameProof(canonicalizeProof(reordered), canonicalizeProof(p))).toBe(true);
    const other = proof();
    other.pi_c[0] = '1';
    expect(sameProof(canonicalizeProof(other), canonicalizeProof(p))).toBe(false);
  });

  const refusals: [string, (p: Proof) => unknown, RegExp][] = [
    [
      'a coordinate written as x + p',
      (p) => ((p.pi_a[0] = (BigInt(p.pi_a[0]!) + P).toString()), p),
      /proof\.pi_a\[0\] must be a decimal string of a BN254 base field element/,
    ],
    ['a coordinate equal to p', (p) => ((p.pi_c[1] = P.toString()), p), /proof\.pi_c\[1\]/],
    [
      'a G2 coordinate written as x + p',
      (p) => ((p.pi_b[1]![0] = (BigInt(p.pi_b[1]![0]!) + P).toString()), p),
      /proof\.pi_b\[1\]\[0\]/,
    ],
    ['a hex coordinate', (p) => ((p.pi_a[1] = '0x' + BigInt(p.pi_a[1]!).toString(16)), p), /proof\.pi_a\[1\]/],
    ['a leading zero', (p) => ((p.pi_c[0] = '00'), p), /proof\.pi_c\[0\]/],
    ['a sign', (p) => ((p.pi_a[0] = '+' + p.pi_a[0]), p), /proof\.pi_a\[0\]/],
    ['a number instead of a string', (p) => ({ ...p, pi_a: [1, 2, '1'] }), /proof\.pi_a\[0\]/],
    ['an extra entry in pi_a', (p) => ({ ...p, pi_a: [...p.pi_a, '1'] }), /proof\.pi_a must be an array of exactly 3 entries/],
    ['a missing entry in pi_c', (p) => ({ ...p, pi_c: p.pi_c.slice(0, 2) }), /proof\.pi_c must be an array of exactly 3/],
    [
      'an extra entry in a pi_b pair',
      (p) => ((p.pi_b[0] = [...p.pi_b[0]!, '0']), p),
      /proof\.pi_b\[0\] must be an array of exactly 2/,
    ],
    ['a projective z other than 1', (p) => ((p.pi_a[2] = '2'), p), /proof\.pi_a\[2\] must be "1"/],
    ['a G2 z other than [1, 0]', (p) => ((p.pi_b[2] = ['1', '1']), p), /proof\.pi_b\[2\] must be \["1","0"\]/],
    ['an extra key', (p) => ({ ...p, extra: 1 }), /proof\.extra is not a field of a Groth16 proof/],
    ['another protocol', (p) => ({ ...p, protocol: 'plonk' }), /proof\.protocol must be "groth16"/],
    ['another curve', (p) => ({ ...p, curve: 'bls12381' }), /proof\.curve must be "bn128"/],
    ['a missing pi_b', ({ pi_b: _b, ...p }) => p, /proof\.pi_b must be an array of exactly 3/],
    ['an array', () => [], /proof must be a JSON object/],
    ['null', () => null, /proof must be a JSON object/],
  ];
  it.each(refusals)('refuses %s, naming the field', (_name, mutate, message) => {
    let thrown: unknown;
    try {
      canonicalizeProof(mutate(proof()));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'VALIDATION_FAILED', shortMessage: expect.stringMatching(message) });
  });
});
