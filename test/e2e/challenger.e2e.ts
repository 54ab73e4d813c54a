import { Wallet, keccak256, toUtf8Bytes } from 'ethers';

import { L2OutputOracle__factory } from '../../contracts/build/types';
import { devnetRoleKey } from '../../rollup/src/devnet/accounts';
import { computeOutputRoot } from '../../rollup/src/proposer/computeOutputRoot';
import { OutputProposer } from '../../rollup/src/proposer/outputProposer';
import { advanceL1Time, startTestDevnet, type TestDevnet } from '../helpers/devnet';

describe('challenger', () => {
  let devnet: TestDevnet;

  beforeAll(async () => {
    devnet = await startTestDevnet();
  });
  afterAll(async () => {
    await devnet?.stop();
  });

  const oracle = () => L2OutputOracle__factory.connect(devnet.deployment.l1.contracts.L2OutputOracle, devnet.l1Provider);
  const faultyProposer = () =>
    new OutputProposer({
      l1Provider: devnet.l1Provider,
      l2Provider: devnet.l2Provider,
      proposer: new Wallet(devnetRoleKey('proposer'), devnet.l1Provider),
      l2OutputOracle: devnet.deployment.l1.contracts.L2OutputOracle,
      maxProposalsPerStep: 1,
      // The proposer's key, a wrong root: what a buggy or malicious proposer would post.
      outputRootFor: async (n) => keccak256(toUtf8Bytes(`not the output of block ${n}`)),
    });

  it('finds honest outputs correct and leaves them alone', async () => {
    const { proposed } = await devnet.proposer.step();
    expect(proposed.length).toBeGreaterThan(0);
    const result = await devnet.challenger.step();
    expect(result.checked).toBe(proposed.length);
    expect(result.deleted).toBeUndefined();
    for (const p of proposed) {
      expect(p.outputRoot).toBe(
        (await computeOutputRoot({ l2Provider: devnet.l2Provider, l2BlockNumber: p.l2BlockNumber })).outputRoot,
      );
    }
  });

  it('deletes a wrong output root inside the window, and the honest proposer re-posts that block', async () => {
    await devnet.l2Provider.send('evm_mine', []);
    const countBefore = await oracle().nextOutputIndex();
    const { proposed } = await faultyProposer().step();
    expect(proposed).toHaveLength(1);
    const bad = proposed[0]!;
    expect(await oracle().nextOutputIndex()).toBe(countBefore + 1n);

    const result = await devnet.challenger.step();
    expect(result.deleted).toMatchObject({
      l2OutputIndex: countBefore,
      l2BlockNumber: bad.l2BlockNumber,
      posted: bad.outputRoot,
    });
    expect(await oracle().nextOutputIndex()).toBe(countBefore);
    expect(await oracle().nextBlockNumber()).toBe(bad.l2BlockNumber);

    const { proposed: honest } = await devnet.proposer.step();
    expect(honest[0]?.l2BlockNumber).toBe(bad.l2BlockNumber);
    expect((await devnet.challenger.step()).deleted).toBeUndefined();
  });

  it('cannot delete a wrong output once it is finalized (the window is the only defence)', async () => {
    await devnet.l2Provider.send('evm_mine', []);
    const { proposed } = await faultyProposer().step();
    expect(proposed).toHaveLength(1);
    await advanceL1Time(devnet, devnet.finalizationPeriodSeconds + 1);
    const result = await devnet.challenger.step();
    expect(result.deleted).toBeUndefined();
    // The oracle itself refuses, whoever asks.
    const challenger = L2OutputOracle__factory.connect(
      devnet.deployment.l1.contracts.L2OutputOracle,
      new Wallet(devnetRoleKey('challenger'), devnet.l1Provider),
    );
    await expect(challenger.deleteL2Outputs((await oracle().nextOutputIndex()) - 1n)).rejects.toThrow(/finalized/);
  });

  it('only the challenger may delete outputs', async () => {
    const stranger = L2OutputOracle__factory.connect(
      devnet.deployment.l1.contracts.L2OutputOracle,
      new Wallet(devnetRoleKey('alice'), devnet.l1Provider),
    );
    await expect(stranger.deleteL2Outputs(0n)).rejects.toThrow(/only the challenger/);
  });
});
