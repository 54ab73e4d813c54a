import { BN254_P } from '@verity/circuits';
import { toSolidityProof, type SnarkjsProof } from '@verity/contracts';
import { encodeSettleJob, UnencodableSettleJobError } from './encodeSettleJob';

/** A proof in snarkjs's layout (the points need not verify: encoding never checks that). */
const proof = (): SnarkjsProof & Record<string, unknown> => ({
  pi_a: ['11', '12', '1'],
  pi_b: [
    ['21', '22'],
    ['23', '24'],
    ['1', '0'],
  ],
  pi_c: ['31', '32', '1'],
  protocol: 'groth16',
  curve: 'bn128',
});
const job = (p: unknown) => ({
  jobId: '7',
  modelId: '1',
  inputCommitment: '2',
  outputCommitment: '3',
  prover: '0x' + '11'.repeat(20),
  proof: p as Record<string, unknown>,
});

describe('encodeSettleJob', () => {
  it('encodes a well-formed proof exactly as toSolidityProof does', () => {
    const { tuple, proof: encoded } = encodeSettleJob(job(proof()));
    expect(encoded).toEqual(toSolidityProof(proof()));
    expect(tuple).toEqual({
      modelId: '1',
      inputCommitment: '2',
      outputCommitment: '3',
      jobId: '7',
      prover: '0x' + '11'.repeat(20),
    });
  });

  const broken: [string, (p: ReturnType<typeof proof>) => unknown][] = [
    ['a coordinate of 2^256 or more', (p) => ({ ...p, pi_a: [(2n ** 256n + 5n).toString(), '12', '1'] })],
    ['a coordinate equal to p', (p) => ({ ...p, pi_c: ['31', BN254_P.toString(), '1'] })],
    ['a coordinate in hex', (p) => ({ ...p, pi_a: ['0x0b', '12', '1'] })],
    ['a negative coordinate', (p) => ({ ...p, pi_a: ['-11', '12', '1'] })],
    ['a number instead of a string', (p) => ({ ...p, pi_a: [11, '12', '1'] })],
    ['a G2 point with one row', (p) => ({ ...p, pi_b: [['21', '22']] })],
    ['a G2 row with one entry', (p) => ({ ...p, pi_b: [['21'], ['23', '24'], ['1', '0']] })],
    ['a G1 point with one coordinate', (p) => ({ ...p, pi_c: ['31'] })],
    ['no pi_a', (p) => ({ ...p, pi_a: undefined })],
    ['pi_b as an object', (p) => ({ ...p, pi_b: { 0: ['21', '22'], 1: ['23', '24'] } })],
    ['no proof at all', () => null],
  ];
  it.each(broken)('refuses %s with UnencodableSettleJobError', (_, mutate) => {
    expect(() => encodeSettleJob(job(mutate(proof())))).toThrow(UnencodableSettleJobError);
  });

  it('refuses a job tuple that does not encode (a prover that is not an address)', () => {
    expect(() => encodeSettleJob({ ...job(proof()), prover: '0x1234' })).toThrow(UnencodableSettleJobError);
    expect(() => encodeSettleJob({ ...job(proof()), outputCommitment: (2n ** 256n).toString() })).toThrow(
      UnencodableSettleJobError,
    );
  });

  it('says what is wrong without echoing the values', () => {
    const err = (() => {
      try {
        encodeSettleJob(job({ ...proof(), pi_a: [(2n ** 300n).toString(), '12', '1'] }));
      } catch (e) {
        return e as UnencodableSettleJobError;
      }
    })()!;
    expect(err.code).toBe('SETTLE_JOB_UNENCODABLE');
    expect(err.shortMessage).toMatch(/pi_a\[0\]/);
    expect(err.shortMessage).not.toContain((2n ** 300n).toString());
  });
});
