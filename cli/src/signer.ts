import { InvalidArgumentError } from '@verity/core';
import { DEVNET_ROLES, devnetPrivateKey } from '@verity/rollup';
import type { CliConfig } from './config';
import { readKeyFile } from './readKeyFile';

export type SignerOptions = { account?: string; keyFile?: string };

/**
 * The signer of a command: --key-file (a hex key or an encrypted keystore), else VERITY_PRIVATE_KEY (or
 * BRIDGE_PRIVATE_KEY), else a devnet account by name or anvil index. There is deliberately no --private-key: a key on
 * the command line lands in shell history and in every process listing.
 */
export async function resolvePrivateKey(options: SignerOptions, config: CliConfig): Promise<string> {
  if (options.keyFile !== undefined) return readKeyFile({ file: options.keyFile, password: config.cli.keystorePassword });
  if (config.cli.privateKey) return config.cli.privateKey;
  if (options.account !== undefined) {
    const named = DEVNET_ROLES[options.account as keyof typeof DEVNET_ROLES];
    const index = named ?? (/^\d+$/.test(options.account) ? Number(options.account) : undefined);
    if (index === undefined || index > 19)
      throw new InvalidArgumentError(
        `unknown devnet account '${options.account}' (use alice, bob, prover, deployer or an anvil index 0-19)`,
      );
    return devnetPrivateKey(index);
  }
  throw new InvalidArgumentError('no signer: pass --key-file <file>, --account alice (devnet), or set VERITY_PRIVATE_KEY');
}
