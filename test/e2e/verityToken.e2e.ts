import { JsonRpcProvider, Signature, Wallet, parseUnits } from 'ethers';

import { decodeRevert, VerityToken__factory, type VerityToken } from '@verity/contracts';
import { startAnvil, type Anvil, devnetPrivateKey } from '@verity/rollup';

describe('VerityToken (VTY)', () => {
  let anvil: Anvil;
  let provider: JsonRpcProvider;
  let token: VerityToken;
  let snapshot: string;
  const holder = new Wallet(devnetPrivateKey(0));
  const spender = new Wallet(devnetPrivateKey(1));
  const supply = parseUnits('1000', 18);

  beforeAll(async () => {
    anvil = await startAnvil({ name: 'l1', chainId: 900, logFile: `/tmp/verity-token-${process.pid}.log` });
    provider = new JsonRpcProvider(anvil.rpcUrl, 900, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
    token = await new VerityToken__factory(holder.connect(provider)).deploy(holder.address, supply);
    await token.waitForDeployment();
  });
  afterAll(async () => {
    provider?.destroy();
    await anvil?.stop();
  });
  beforeEach(async () => {
    snapshot = (await provider.send('evm_snapshot', [])) as string;
  });
  afterEach(async () => {
    await provider.send('evm_revert', [snapshot]);
  });

  it('mints the whole supply once to the holder', async () => {
    expect(await token.name()).toBe('Verity');
    expect(await token.symbol()).toBe('VTY');
    expect(await token.decimals()).toBe(18n);
    expect(await token.totalSupply()).toBe(supply);
    expect(await token.balanceOf(holder.address)).toBe(supply);
  });

  /** Resolves to the custom error a transaction reverted with; fails the test if it did not revert. */
  async function revertOf(sent: Promise<unknown>): Promise<string | undefined> {
    try {
      await sent;
    } catch (err) {
      return decodeRevert(err, token.interface);
    }
    throw new Error('expected a revert');
  }

  async function signPermit(owner: Wallet, value: bigint, deadline: bigint, nonce?: bigint) {
    const domain = { name: 'Verity', version: '1', chainId: 900, verifyingContract: await token.getAddress() };
    const types = {
      Permit: [
        { name: 'owner', type: 'address' },
        { name: 'spender', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
      ],
    };
    const message = {
      owner: owner.address,
      spender: spender.address,
      value,
      nonce: nonce ?? (await token.nonces(owner.address)),
      deadline,
    };
    return Signature.from(await owner.signTypedData(domain, types, message));
  }

  it('accepts an EIP-2612 permit once, and refuses its replay', async () => {
    const deadline = BigInt((await provider.getBlock('latest'))!.timestamp + 3600);
    const sig = await signPermit(holder, 5n, deadline);
    const asSpender = token.connect(spender.connect(provider));
    await (await asSpender.permit(holder.address, spender.address, 5n, deadline, sig.v, sig.r, sig.s)).wait();
    expect(await token.allowance(holder.address, spender.address)).toBe(5n);
    expect(await token.nonces(holder.address)).toBe(1n);
    expect(await revertOf(asSpender.permit(holder.address, spender.address, 5n, deadline, sig.v, sig.r, sig.s))).toBe(
      'ERC2612InvalidSigner',
    );
  });

  it('refuses an expired permit and one signed by someone else', async () => {
    const now = BigInt((await provider.getBlock('latest'))!.timestamp);
    const expired = await signPermit(holder, 5n, now - 1n);
    const asSpender = token.connect(spender.connect(provider));
    expect(await revertOf(asSpender.permit(holder.address, spender.address, 5n, now - 1n, expired.v, expired.r, expired.s))).toBe(
      'ERC2612ExpiredSignature',
    );
    const forged = await signPermit(spender, 5n, now + 3600n, 0n);
    expect(await revertOf(asSpender.permit(holder.address, spender.address, 5n, now + 3600n, forged.v, forged.r, forged.s))).toBe(
      'ERC2612InvalidSigner',
    );
  });
});
