import { Controller, Get, type OnModuleDestroy } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { JsonRpcProvider } from 'ethers';
import { DataSource } from 'typeorm';

import { NetworkService } from '../network/network.service';

/**
 * Liveness of what the sequencer depends on: Postgres and both chains' RPCs. One provider per chain, kept between
 * checks (a probe that built its own on every request would let anyone make the process churn clients and sockets);
 * replaced only when the deployment file names another endpoint.
 */
@ApiTags('health')
@Controller('health')
export class HealthController implements OnModuleDestroy {
  private readonly providers = new Map<'l1' | 'l2', { endpoint: string; provider: JsonRpcProvider }>();

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly network: NetworkService,
    private readonly dataSource: DataSource,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () =>
        this.probe('database', async () => {
          await this.dataSource.query('SELECT 1');
          return {};
        }),
      () => this.chain('l1'),
      () => this.chain('l2'),
    ]);
  }

  private chain(key: 'l1' | 'l2') {
    return this.probe(key, async () => ({ blockNumber: await this.providerFor(key).getBlockNumber() }));
  }

  /** The provider the probes of `key` share. */
  providerFor(key: 'l1' | 'l2'): JsonRpcProvider {
    const { rpcUrl, chainId } = this.network.getDeployment()[key];
    const endpoint = `${chainId} ${rpcUrl}`;
    const held = this.providers.get(key);
    if (held?.endpoint === endpoint) return held.provider;
    held?.provider.destroy();
    // No response cache: a health check must see the chain as it is now.
    const provider = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true, cacheTimeout: -1 });
    this.providers.set(key, { endpoint, provider });
    return provider;
  }

  onModuleDestroy(): void {
    for (const { provider } of this.providers.values()) provider.destroy();
    this.providers.clear();
  }

  /** Up with `fn`'s data if it resolves within 3 s, down with the error message otherwise. */
  private async probe(key: string, fn: () => Promise<Record<string, unknown>>) {
    const indicator = this.indicators.check(key);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error('timed out after 3 s')), 3000)),
      );
      return indicator.up(await Promise.race([fn(), timeout]));
    } catch (err) {
      return indicator.down({ message: err instanceof Error ? err.message.split('\n')[0] : String(err) });
    } finally {
      clearTimeout(timer);
    }
  }
}
