import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { JsonRpcProvider, Wallet } from 'ethers';
import { DataSource } from 'typeorm';

import { BaseError, type Deployment } from '@verity/core';
import {
  InferenceMarket__factory,
  InferenceSettlement__factory,
  ModelRegistry__factory,
  ProverRegistry__factory,
  type InferenceMarket,
  type InferenceSettlement,
  type ModelRegistry,
  type ProverRegistry,
} from '@verity/contracts';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';
import { NetworkService } from '../network/network.service';
import { TxSender } from './tx-sender';

export class DeploymentIncompleteError extends BaseError {
  override name = 'DeploymentIncompleteError';
  constructor(file: string) {
    super('DEPLOYMENT_INCOMPLETE', `the deployment ${file} has no Verity contracts (market, settlement, registries)`);
  }
}

export class ReadOnlySequencerError extends BaseError {
  override name = 'ReadOnlySequencerError';
  constructor() {
    super('SEQUENCER_READ_ONLY', 'this sequencer has no operator key (SEQUENCER_PRIVATE_KEY): it sends no transactions');
  }
}

export type VerityChain = {
  deployment: Deployment & { verity: NonNullable<Deployment['verity']> };
  l1: JsonRpcProvider;
  l2: JsonRpcProvider;
  market: InferenceMarket;
  proverRegistry: ProverRegistry;
  modelRegistry: ModelRegistry;
  settlement: InferenceSettlement;
};

/** Providers, contract bindings and the two transaction senders (one nonce manager per key and chain). */
@Injectable()
export class ChainService implements OnApplicationShutdown {
  private chain?: VerityChain;
  private senders?: { l1: TxSender; l2: TxSender };

  constructor(
    @Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig,
    private readonly network: NetworkService,
    private readonly dataSource: DataSource,
  ) {}

  /** Read access to both chains; throws a clear error until a deployment with Verity's contracts exists. */
  get(): VerityChain {
    if (this.chain) return this.chain;
    const deployment = this.network.getDeployment();
    if (!deployment.verity) throw new DeploymentIncompleteError(this.config.deploymentFile);
    // No request cache: a stale nonce or balance read is worse than one more round trip.
    const options = { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 } as const;
    const l1 = new JsonRpcProvider(deployment.l1.rpcUrl, deployment.l1.chainId, options);
    const l2 = new JsonRpcProvider(deployment.l2.rpcUrl, deployment.l2.chainId, options);
    const v = deployment.verity;
    this.chain = {
      deployment: deployment as VerityChain['deployment'],
      l1,
      l2,
      market: InferenceMarket__factory.connect(v.l2.InferenceMarket, l2),
      proverRegistry: ProverRegistry__factory.connect(v.l2.ProverRegistry, l2),
      modelRegistry: ModelRegistry__factory.connect(v.l1.ModelRegistry, l1),
      settlement: InferenceSettlement__factory.connect(v.l1.InferenceSettlement, l1),
    };
    return this.chain;
  }

  /** The operator's senders; only the leader uses them. */
  senderFor(chain: 'l1' | 'l2'): TxSender {
    if (!this.config.privateKey) throw new ReadOnlySequencerError();
    if (!this.senders) {
      const c = this.get();
      const make = (name: 'l1' | 'l2', provider: JsonRpcProvider, chainId: number, confirmations: number) =>
        new TxSender({
          dataSource: this.dataSource,
          provider,
          wallet: new Wallet(this.config.privateKey!, provider),
          chainId,
          confirmations,
          name,
        });
      this.senders = {
        l1: make('l1', c.l1, c.deployment.l1.chainId, this.config.workers.l1Confirmations),
        l2: make('l2', c.l2, c.deployment.l2.chainId, this.config.workers.l2Confirmations),
      };
    }
    return this.senders[chain];
  }

  onApplicationShutdown(): void {
    this.chain?.l1.destroy();
    this.chain?.l2.destroy();
  }
}
