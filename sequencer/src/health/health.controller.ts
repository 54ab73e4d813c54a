import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { JsonRpcProvider } from 'ethers';
import { DataSource } from 'typeorm';

import { NetworkService } from '../network/network.service';

/** Liveness of what the sequencer depends on: Postgres and both chains' RPCs. */
@ApiTags('health')
@Controller('health')
export class HealthController {
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
    return this.probe(key, async () => {
      const deployment = this.network.getDeployment()[key];
      const provider = new JsonRpcProvider(deployment.rpcUrl, deployment.chainId, { staticNetwork: true });
      try {
        return { blockNumber: await provider.getBlockNumber() };
      } finally {
        provider.destroy();
      }
    });
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
