import type { JsonRpcProvider, Signer } from 'ethers';

import {
  L1Block__factory,
  L2CrossDomainMessenger__factory,
  L2StandardBridge__factory,
  L2ToL1MessagePasser__factory,
  OptimismMintableERC20Factory__factory,
} from '@verity/contracts';
import { PREDEPLOYS } from './predeploys';
import { type L1Contracts, type L2Contracts } from '@verity/core';

export type InstallPredeploysParameters = {
  l2Provider: JsonRpcProvider;
  deployer: Signer;
  l1Contracts: L1Contracts;
};

export type InstallPredeploysReturnType = L2Contracts;

/**
 * `anvil --network optimism` ships no predeploys. Each implementation is deployed normally, its runtime code is
 * copied to the spec address with anvil_setCode (none of them has immutables, so the code is position-independent),
 * and it is initialized there. L1Block is required even unset: the messenger and bridge ask it for the gas
 * paying token, and without it withdrawals revert with no reason.
 */
export async function installPredeploys(parameters: InstallPredeploysParameters): Promise<InstallPredeploysReturnType> {
  const { l2Provider, deployer, l1Contracts } = parameters;

  const place = async (
    at: string,
    factory: { deploy(): Promise<{ waitForDeployment(): Promise<unknown>; getAddress(): Promise<string> }> },
  ): Promise<void> => {
    const impl = await factory.deploy();
    await impl.waitForDeployment();
    const code = await l2Provider.getCode(await impl.getAddress());
    await l2Provider.send('anvil_setCode', [at, code]);
  };

  await place(PREDEPLOYS.L1Block, new L1Block__factory(deployer));
  await place(PREDEPLOYS.L2ToL1MessagePasser, new L2ToL1MessagePasser__factory(deployer));
  await place(PREDEPLOYS.L2CrossDomainMessenger, new L2CrossDomainMessenger__factory(deployer));
  await place(PREDEPLOYS.L2StandardBridge, new L2StandardBridge__factory(deployer));
  await place(PREDEPLOYS.OptimismMintableERC20Factory, new OptimismMintableERC20Factory__factory(deployer));

  await (
    await L2CrossDomainMessenger__factory.connect(PREDEPLOYS.L2CrossDomainMessenger, deployer).initialize(
      l1Contracts.L1CrossDomainMessenger,
    )
  ).wait();
  await (
    await L2StandardBridge__factory.connect(PREDEPLOYS.L2StandardBridge, deployer).initialize(l1Contracts.L1StandardBridge)
  ).wait();
  await (
    await OptimismMintableERC20Factory__factory.connect(PREDEPLOYS.OptimismMintableERC20Factory, deployer).initialize(
      PREDEPLOYS.L2StandardBridge,
    )
  ).wait();

  return { ...PREDEPLOYS };
}
