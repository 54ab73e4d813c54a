import { Wallet } from 'ethers';

import { COMMIT_DOMAIN, commitVector } from '@verity/circuits';
import { hashJobRequest, JOB_REQUEST_TYPES, marketDomain, type JobRequest } from '@verity/contracts';
import type { SequencerConfig } from '../config/config';
import { IntakeCrypto, type IntakeCryptoParameters } from './intake-crypto.service';

const domain = marketDomain(901, '0x8A791620dd6260079BF849Dc5567aDC3F2FdC318');
const config = (intakeThreads: number) => ({ jobs: { intakeThreads } }) as unknown as SequencerConfig;

async function signed(nonce: number): Promise<{ parameters: IntakeCryptoParameters; wallet: Wallet }> {
  const wallet = Wallet.createRandom() as unknown as Wallet;
  const values = [nonce, -nonce, 7, 2047];
  const salt = BigInt(1000 + nonce);
  const request: JobRequest = {
    modelId: 1n,
    inputCommitment: commitVector(values, 12, COMMIT_DOMAIN.input, salt),
    reward: 10n,
    maxFee: 1n,
    deadline: 2_000_000_000n,
    nonce: BigInt(nonce),
  };
  const signature = await wallet.signTypedData(domain, JOB_REQUEST_TYPES as never, request);
  const digest = hashJobRequest(domain, request);
  return {
    wallet,
    parameters: { values, bits: 12, domainTag: COMMIT_DOMAIN.input, salt, eip712: domain, request, digest, signature },
  };
}

describe('IntakeCrypto', () => {
  it('computes in its worker exactly what intake would inline: the commitment and the signer, or none', async () => {
    const crypto = new IntakeCrypto(config(1));
    try {
      const jobs = await Promise.all(Array.from({ length: 20 }, (_, i) => signed(i)));
      const answers = await Promise.all(jobs.map((j) => crypto.check(j.parameters)));
      answers.forEach((a, i) => {
        expect(a.commitment).toBe(jobs[i]!.parameters.request.inputCommitment);
        expect(a.signer).toBe(jobs[i]!.wallet.address);
      });
      // Garbage and a skipped signature: no signer, the commitment still computed.
      const [garbage, skipped] = await Promise.all([
        crypto.check({ ...jobs[0]!.parameters, signature: '0x1234' }),
        crypto.check({ ...jobs[0]!.parameters, signature: null }),
      ]);
      expect(garbage.signer).toBeUndefined();
      expect(skipped.signer).toBeUndefined();
      expect(skipped.commitment).toBe(jobs[0]!.parameters.request.inputCommitment);
    } finally {
      await crypto.onModuleDestroy();
    }
  });

  it('answers every request the worker held when the worker dies, and starts a new one', async () => {
    const crypto = new IntakeCrypto(config(1));
    try {
      const jobs = await Promise.all(Array.from({ length: 10 }, (_, i) => signed(i)));
      await crypto.check(jobs[0]!.parameters); // the worker is up
      const inFlight = jobs.map((j) => crypto.check(j.parameters));
      // Killed with requests in flight (they were posted on the next turn).
      await new Promise((resolve) => setImmediate(resolve));
      await (crypto as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      const answers = await Promise.all(inFlight);
      answers.forEach((a, i) => expect(a.signer).toBe(jobs[i]!.wallet.address));
      expect((await crypto.check(jobs[1]!.parameters)).signer).toBe(jobs[1]!.wallet.address);
    } finally {
      await crypto.onModuleDestroy();
    }
  });

  it('computes inline with SEQUENCER_INTAKE_THREADS=0', async () => {
    const crypto = new IntakeCrypto(config(0));
    const job = await signed(3);
    expect(await crypto.check(job.parameters)).toEqual({
      commitment: job.parameters.request.inputCommitment,
      signer: job.wallet.address,
    });
    expect((crypto as unknown as { worker?: unknown }).worker).toBeUndefined();
  });
});
