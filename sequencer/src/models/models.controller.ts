import { Controller, Get, Headers, Param, Put, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';

import { ValidationError } from '../common/errors';
import { UINT_DECIMAL } from '../jobs/dto/submit-job.dto';
import { ARTIFACT_NAMES, type ArtifactName } from './model.entity';
import { mapModel, ModelViewDto } from './model-view.dto';
import { ModelsService } from './models.service';

function modelIdParam(id: string): string {
  if (!UINT_DECIMAL.test(id)) throw new ValidationError(`model id '${id.slice(0, 80)}' must be a decimal integer`);
  return id;
}

@ApiTags('models')
@Controller('v1/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @ApiOkResponse({ type: [ModelViewDto] })
  async list(): Promise<ModelViewDto[]> {
    return (await this.models.list()).map(mapModel);
  }

  @Get(':id')
  @ApiOkResponse({ type: ModelViewDto })
  async get(@Param('id') id: string): Promise<ModelViewDto> {
    return mapModel(await this.models.find(modelIdParam(id)));
  }

  @Get(':id/artifacts/:name')
  async artifact(@Param('id') id: string, @Param('name') name: string, @Res({ passthrough: true }) res: Response) {
    if (!(ARTIFACT_NAMES as readonly string[]).includes(name))
      throw new ValidationError(`unknown artifact '${name.slice(0, 40)}' (one of ${ARTIFACT_NAMES.join(', ')})`);
    const model = await this.models.find(modelIdParam(id));
    const artifact = model.artifacts[name as ArtifactName];
    res.setHeader('X-Content-SHA256', artifact?.sha256 ?? '');
    return new StreamableFile(this.models.openArtifact(model, name as ArtifactName), { type: 'application/octet-stream' });
  }

  /** Streams the body to disk while hashing it; the publisher signs `artifactMessage(id, name, sha256)`. */
  @Put(':id/artifacts/:name')
  @ApiHeader({ name: 'X-Verity-Signature', description: 'EIP-191 signature of the publisher over the artifact message' })
  @ApiOkResponse({ type: ModelViewDto })
  async upload(
    @Param('id') id: string,
    @Param('name') name: string,
    @Headers('x-verity-signature') signature: string | undefined,
    @Req() req: Request,
  ): Promise<ModelViewDto> {
    return mapModel(await this.models.putArtifact(modelIdParam(id), name, req, signature));
  }
}
