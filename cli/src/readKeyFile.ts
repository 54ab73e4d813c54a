import { existsSync, readFileSync, statSync } from 'node:fs';

import { Wallet } from 'ethers';

import { InvalidArgumentError } from '@verity/core';

export type ReadKeyFileParameters = {
  file: string;
  /** Needed when the file is an encrypted JSON keystore. */
  password?: string;
};

/**
 * A signing key from a file, so it never appears on a command line (shell history, `ps`): either a hex private key
 * or an encrypted JSON keystore (ethers/geth format, unlocked with `password`). Like ssh, a file that other users
 * can read is refused: the key in it is as good as leaked.
 */
export async function readKeyFile(parameters: ReadKeyFileParameters): Promise<string> {
  const { file } = parameters;
  if (!existsSync(file)) throw new InvalidArgumentError(`key file ${file} does not exist`);
  const mode = statSync(file).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0)
    throw new InvalidArgumentError(
      `key file ${file} is readable by other users (mode ${mode.toString(8).padStart(3, '0')}): run chmod 600 ${file}`,
    );
  const text = readFileSync(file, 'utf8').trim();
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(text)) return text.startsWith('0x') ? text : `0x${text}`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`key file ${file} holds neither a hex private key nor a JSON keystore`);
  }
  if (!json || typeof json !== 'object' || !('crypto' in json || 'Crypto' in json))
    throw new InvalidArgumentError(`key file ${file} holds neither a hex private key nor a JSON keystore`);
  if (!parameters.password)
    throw new InvalidArgumentError(
      `key file ${file} is an encrypted keystore: set VERITY_KEYSTORE_PASSWORD (or BRIDGE_KEYSTORE_PASSWORD) to unlock it`,
    );
  try {
    return (await Wallet.fromEncryptedJson(text, parameters.password)).privateKey;
  } catch {
    throw new InvalidArgumentError(`cannot unlock keystore ${file}: wrong password or damaged file`);
  }
}
