export { BaseError, InvalidArgumentError } from '@verity/core';
import { BaseError } from '@verity/core';

export class DeploymentNotFoundError extends BaseError {
  override name = 'DeploymentNotFoundError';
  constructor(file: string) {
    super(
      'DEPLOYMENT_NOT_FOUND',
      `no deployment at ${file}: start a devnet (\`verity devnet up\`) or set SEQUENCER_DEPLOYMENT_FILE`,
    );
  }
}
