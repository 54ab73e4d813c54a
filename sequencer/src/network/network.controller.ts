import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { NetworkService } from './network.service';
import { NetworkDto, mapNetwork } from './network.dto';

@ApiTags('network')
@Controller('v1/network')
export class NetworkController {
  constructor(private readonly network: NetworkService) {}

  @Get()
  @ApiOkResponse({ type: NetworkDto, description: 'chain ids, contract addresses and tokens of this deployment' })
  get(): NetworkDto {
    return mapNetwork(this.network.getDeployment());
  }
}
