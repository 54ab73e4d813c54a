import { HDNodeWallet, Mnemonic } from 'ethers';

/**
 * anvil's well-known development mnemonic. These keys are public: they exist only to drive the local devnet
 * and tests, and must never hold value. Production roles take their keys from config.
 */
export const DEVNET_MNEMONIC = 'test test test test test test test test test test test junk';

/** Which anvil account plays which role on the devnet. */
export const DEVNET_ROLES = {
  deployer: 0,
  proposer: 1,
  challenger: 2,
  guardian: 3,
  /** Holds the VTY supply minted at deployment and funds the demo. */
  treasury: 4,
  /** The demo user that `npm start` bridges with. */
  alice: 5,
  bob: 6,
  /** The sequencer's operator key: opens jobs on L2, settles on L1, releases on L2. */
  sequencer: 7,
  /** The demo prover that `npm start` runs. */
  prover: 8,
} as const;

export type DevnetRole = keyof typeof DEVNET_ROLES;

export function devnetPrivateKey(index: number): string {
  const mnemonic = Mnemonic.fromPhrase(DEVNET_MNEMONIC);
  return HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${index}`).privateKey;
}

export function devnetRoleKey(role: DevnetRole): string {
  return devnetPrivateKey(DEVNET_ROLES[role]);
}
