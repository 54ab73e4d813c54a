import type { Signer } from 'ethers';

import { OptimismMintableERC20Factory__factory, VerityToken__factory } from '@verity/contracts';
import { PREDEPLOYS } from './predeploys';
import { type TokenAddresses } from '@verity/core';

export type DeployTokenParameters = {
  l1Deployer: Signer;
  l2Deployer: Signer;
  /** Receives the whole L1 supply. */
  holder: string;
  supply: bigint;
};

export type DeployTokenReturnType = TokenAddresses;

/** Deploys VTY on L1 and creates its bridgeable twin on L2 through the OptimismMintableERC20Factory predeploy. */
export async function deployToken(parameters: DeployTokenParameters): Promise<DeployTokenReturnType> {
  const l1Token = await new VerityToken__factory(parameters.l1Deployer).deploy(parameters.holder, parameters.supply);
  await l1Token.waitForDeployment();
  const l1 = await l1Token.getAddress();

  const factory = OptimismMintableERC20Factory__factory.connect(PREDEPLOYS.OptimismMintableERC20Factory, parameters.l2Deployer);
  const receipt = await (await factory.createOptimismMintableERC20(l1, 'Verity', 'VTY')).wait();
  const created = receipt?.logs
    .map((log) => {
      try {
        return factory.interface.parseLog(log);
      } catch {
        return null;
      }
    })
    .find((parsed) => parsed?.name === 'OptimismMintableERC20Created');
  if (!created) throw new Error('OptimismMintableERC20Created event missing');
  return { symbol: 'VTY', decimals: 18, l1, l2: created.args.localToken as string };
}
