import { ApiProperty } from '@nestjs/swagger';

import type { Deployment } from '@verity/core';

export class ChainDto {
  @ApiProperty({ example: 900 }) chainId!: number;
  @ApiProperty({ description: 'contract name → address' }) contracts!: Record<string, string>;
}

export class TokenDto {
  @ApiProperty({ example: 'VTY' }) symbol!: string;
  @ApiProperty({ example: 18 }) decimals!: number;
  @ApiProperty() l1!: string;
  @ApiProperty() l2!: string;
}

export class NetworkDto {
  @ApiProperty({ type: ChainDto }) l1!: ChainDto;
  @ApiProperty({ type: ChainDto }) l2!: ChainDto;
  @ApiProperty({ type: [TokenDto] }) tokens!: TokenDto[];
  @ApiProperty({ example: 12 }) finalizationPeriodSeconds!: number;
}

/** RPC URLs stay private (they may carry credentials); clients get chain ids and addresses. */
export function mapNetwork(d: Deployment): NetworkDto {
  return {
    l1: { chainId: d.l1.chainId, contracts: { ...d.l1.contracts } },
    l2: { chainId: d.l2.chainId, contracts: { ...d.l2.contracts } },
    tokens: Object.values(d.tokens),
    finalizationPeriodSeconds: d.rollup.finalizationPeriodSeconds,
  };
}
