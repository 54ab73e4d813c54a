import { existsSync } from 'node:fs';

import { Inject, Injectable } from '@nestjs/common';

import { readDeployment, type Deployment } from '@verity/core';
import { DeploymentNotFoundError } from '../common/errors';
import { SEQUENCER_CONFIG, type SequencerConfig } from '../config/config';

/** The chains and contracts this sequencer works against, from the generated deployment file. */
@Injectable()
export class NetworkService {
  constructor(@Inject(SEQUENCER_CONFIG) private readonly config: SequencerConfig) {}

  getDeployment(): Deployment {
    if (!existsSync(this.config.deploymentFile)) throw new DeploymentNotFoundError(this.config.deploymentFile);
    return readDeployment(this.config.deploymentFile);
  }
}
