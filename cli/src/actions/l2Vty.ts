import { Contract, NonceManager, Wallet, type JsonRpcProvider } from 'ethers';

import { InferenceMarket__factory, ProverRegistry__factory } from '@verity/contracts';
import { InvalidArgumentError, type Deployment } from '@verity/core';

const ERC20 = [
  'function approve(address spender, uint256 amount) returns (bool)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'function balanceOf(address) view returns (uint256)',
];

function verity(deployment: Deployment) {
  if (!deployment.verity) throw new InvalidArgumentError('the deployment has no Verity market (start one with `npm start`)');
  return deployment.verity;
}

/** Approves `spender` for `amount` L2 VTY if the allowance is short (the L2 twin has no permit). */
async function approve(signer: NonceManager, token: string, spender: string, amount: bigint): Promise<string | undefined> {
  const vty = new Contract(token, ERC20, signer);
  const owner = await signer.getAddress();
  if (((await vty.getFunction('allowance')(owner, spender)) as bigint) >= amount) return undefined;
  const tx = await vty.getFunction('approve')(spender, amount);
  await tx.wait();
  return tx.hash as string;
}

export type L2Balances = { vty: bigint; prepaid: bigint };

export async function l2Balances(deployment: Deployment, l2: JsonRpcProvider, account: string): Promise<L2Balances> {
  const market = InferenceMarket__factory.connect(verity(deployment).l2.InferenceMarket, l2);
  const vty = new Contract(deployment.tokens.VTY!.l2, ERC20, l2);
  return { vty: (await vty.getFunction('balanceOf')(account)) as bigint, prepaid: await market.balances(account) };
}

/** `verity market deposit`: approve (if needed) and deposit L2 VTY into the market's prepaid balance. */
export async function depositToMarket(deployment: Deployment, l2: JsonRpcProvider, key: string, amount: bigint): Promise<string> {
  const signer = new NonceManager(new Wallet(key, l2));
  const { vty } = await l2Balances(deployment, l2, await signer.getAddress());
  if (vty < amount)
    throw new InvalidArgumentError(`not enough VTY on L2 (${vty} wei): bridge some first with \`verity bridge deposit\``);
  const market = InferenceMarket__factory.connect(verity(deployment).l2.InferenceMarket, signer);
  await approve(signer, deployment.tokens.VTY!.l2, await market.getAddress(), amount);
  const tx = await market.deposit(amount);
  await tx.wait();
  return tx.hash;
}

/** `verity market withdraw`: prepaid balance back to the requester's L2 VTY. */
export async function withdrawFromMarket(
  deployment: Deployment,
  l2: JsonRpcProvider,
  key: string,
  amount: bigint,
): Promise<string> {
  const signer = new NonceManager(new Wallet(key, l2));
  const market = InferenceMarket__factory.connect(verity(deployment).l2.InferenceMarket, signer);
  const balance = await market.balances(await signer.getAddress());
  if (balance < amount) throw new InvalidArgumentError(`the prepaid balance is ${balance} wei, less than ${amount}`);
  const tx = await market.withdraw(amount);
  await tx.wait();
  return tx.hash;
}

/** Stakes the registry's minimum (or `amount`) unless the prover is already active. Returns the tx hash, if any. */
export async function ensureProverStake(
  deployment: Deployment,
  l2: JsonRpcProvider,
  key: string,
  amount?: bigint,
): Promise<string | undefined> {
  const signer = new NonceManager(new Wallet(key, l2));
  const registry = ProverRegistry__factory.connect(verity(deployment).l2.ProverRegistry, signer);
  const address = await signer.getAddress();
  if (await registry.isActive(address)) return undefined;
  const needed = amount ?? (await registry.minStake());
  const { vty } = await l2Balances(deployment, l2, address);
  if (vty < needed)
    throw new InvalidArgumentError(`staking needs ${needed} wei of L2 VTY, ${address} has ${vty}: bridge some first`);
  await approve(signer, deployment.tokens.VTY!.l2, await registry.getAddress(), needed);
  const tx = await registry.stake(needed);
  await tx.wait();
  return tx.hash;
}
