import { randomBytes } from 'node:crypto';

import { Inject, Injectable } from '@nestjs/common';
import { getAddress, verifyMessage } from 'ethers';
import { DataSource, IsNull, LessThan } from 'typeorm';

import { ProverNotStakedError, UnauthorizedError, ValidationError } from '../common/errors';
import { ChainService } from '../chain/chain.service';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { ProverSessionEntity } from '../provers/prover-session.entity';
import { ProverEntity } from '../provers/prover.entity';
import { sha256Hex } from '../jobs/jobs.service';
import { parseAddress } from '../jobs/parseAddress';

const CHALLENGE_TTL_MS = 5 * 60_000;

/** What a prover signs (EIP-191) to register: the challenge, bound to this market so it cannot be replayed elsewhere. */
export function registrationMessage(challenge: string, chainId: number, market: string): string {
  return `Verity prover registration\nmarket: ${market} (chain ${chainId})\nchallenge: ${challenge}`;
}

/**
 * Prover authentication: a single-use challenge, signed with the prover's staked key, buys a bearer token for a
 * while. Only a prover active in ProverRegistry (staked) may register; tokens are stored hashed.
 */
@Injectable()
export class ProverSessionsService {
  constructor(
    @Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig,
    private readonly dataSource: DataSource,
    private readonly chain: ChainService,
  ) {}

  async challenge(address: string): Promise<{ challenge: string; message: string; expiresAt: string }> {
    const prover = parseAddress({ field: 'address', value: address });
    const challenge = randomBytes(32).toString('hex');
    const expiresAt = new Date(Date.now() + CHALLENGE_TTL_MS);
    const repo = this.dataSource.getRepository(ProverSessionEntity);
    await repo.delete({ expiresAt: LessThan(new Date()) });
    await repo.insert({ challenge, address: prover, tokenHash: null, expiresAt });
    const { deployment } = this.chain.get();
    return {
      challenge,
      message: registrationMessage(challenge, deployment.l2.chainId, deployment.verity.l2.InferenceMarket),
      expiresAt: expiresAt.toISOString(),
    };
  }

  async register(parameters: { address: string; challenge: string; signature: string; models: string[] }) {
    const address = parseAddress({ field: 'address', value: parameters.address });
    const repo = this.dataSource.getRepository(ProverSessionEntity);
    const row = await repo.findOneBy({ challenge: parameters.challenge });
    if (!row || row.tokenHash !== null || row.address !== address || row.expiresAt < new Date())
      throw new UnauthorizedError('unknown, used or expired challenge: ask for a new one');
    const { deployment, proverRegistry } = this.chain.get();
    let signer: string;
    try {
      signer = getAddress(
        verifyMessage(
          registrationMessage(row.challenge, deployment.l2.chainId, deployment.verity.l2.InferenceMarket),
          parameters.signature,
        ),
      );
    } catch {
      throw new ValidationError('signature must be a 65-byte hex signature of the challenge message');
    }
    if (signer !== address) throw new UnauthorizedError(`the challenge is signed by ${signer}, not ${address}`);
    if (!(await proverRegistry.isActive(address))) throw new ProverNotStakedError(address);
    const token = randomBytes(32).toString('hex');
    const expiresAt = new Date(Date.now() + this.config.provers.sessionTtlSeconds * 1000);
    // Single use: the update only succeeds while the challenge is unanswered.
    const used = await repo.update({ challenge: row.challenge, tokenHash: IsNull() }, { tokenHash: sha256Hex(token), expiresAt });
    if (used.affected !== 1) throw new UnauthorizedError('the challenge was already answered');
    await this.dataSource
      .getRepository(ProverEntity)
      .upsert({ address, models: parameters.models, lastHeartbeatAt: new Date() }, ['address']);
    return { token, address, expiresAt: expiresAt.toISOString() };
  }

  /** The prover a bearer token stands for, or UNAUTHORIZED. */
  async authenticate(authorization: string | undefined): Promise<string> {
    const token = /^Bearer ([0-9a-f]{64})$/.exec(authorization ?? '')?.[1];
    if (!token) throw new UnauthorizedError('prover routes need `Authorization: Bearer <token>` from POST /v1/provers/register');
    const row = await this.dataSource.getRepository(ProverSessionEntity).findOneBy({ tokenHash: sha256Hex(token) });
    if (!row || row.expiresAt < new Date())
      throw new UnauthorizedError('the prover session expired or does not exist: register again');
    return row.address;
  }
}
