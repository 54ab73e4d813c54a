import { Controller, Get, Param, Put, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';

import { ValidationError } from '../common/errors';
import { UINT_DECIMAL } from '../jobs/dto/submit-job.dto';
import { ARTIFACT_NAMES_HELP, isArtifactName } from './model.entity';
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
    const rows = await this.models.list();
    return Promise.all(rows.map(async (m) => mapModel(m, await this.models.chainStatus(m))));
  }

  @Get(':id')
  @ApiOkResponse({ type: ModelViewDto })
  async get(@Param('id') id: string): Promise<ModelViewDto> {
    const model = await this.models.find(modelIdParam(id));
    return mapModel(model, await this.models.chainStatus(model));
  }

  @Get(':id/artifacts/:name')
  async artifact(@Param('id') id: string, @Param('name') name: string, @Res({ passthrough: true }) res: Response) {
    if (!isArtifactName(name))
      throw new ValidationError(`unknown artifact '${name.slice(0, 40)}' (one of ${ARTIFACT_NAMES_HELP})`);
    const model = await this.models.find(modelIdParam(id));
    const artifact = model.artifacts[name];
    res.setHeader('X-Content-SHA256', artifact?.sha256 ?? '');
    return new StreamableFile(this.models.openArtifact(model, name), { type: 'application/octet-stream' });
  }

  /**
   * The publisher signs `artifactMessage({chainId, registry, modelId, name, sha256, bytes})` and sends the SHA-256
   * and the length in the headers; all of it is checked before the body is read, then the body is streamed to disk.
   */
  @Put(':id/artifacts/:name')
  @ApiHeader({ name: 'X-Verity-Signature', description: 'EIP-191 signature of the publisher over the artifact message' })
  @ApiHeader({ name: 'X-Content-SHA256', description: 'SHA-256 of the body, 64 hex digits (as signed)' })
  @ApiHeader({ name: 'Content-Length', description: 'length of the body in bytes (as signed); chunked bodies are refused' })
  @ApiOkResponse({ type: ModelViewDto })
  async upload(
    @Param('id') id: string,
    @Param('name') name: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ModelViewDto> {
    const header = (key: string) => {
      const value = req.headers[key];
      return Array.isArray(value) ? value[0] : value;
    };
    try {
      const entity = await this.models.putArtifact(modelIdParam(id), name, {
        signature: header('x-verity-signature'),
        sha256: header('x-content-sha256'),
        contentLength: header('content-length'),
        contentType: header('content-type'),
        body: req,
      });
      return mapModel(entity, await this.models.chainStatus(entity));
    } catch (err) {
      // Refused before (or while) the body arrived: close the connection rather than drain bytes we will not keep.
      if (!req.complete) res.setHeader('Connection', 'close');
      throw err;
    }
  }
}
