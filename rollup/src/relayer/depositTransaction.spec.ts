import { depositSourceHash, depositTransactionHash, type DepositTransaction } from './depositTransaction';

describe('depositSourceHash', () => {
  it('matches the OP spec user-deposit source hash (public test vector)', () => {
    expect(depositSourceHash('0x9ba3933dc6ce43c145349770a39c30f9b647f17668f004bd2e05c80a2e7262f7', 196)).toBe(
      '0xd0868c8764d81f1749edb7dec4a550966963540d9fe50aefce8cdb38ea7b2213',
    );
  });

  it('differs by log index and by block hash', () => {
    const block = '0x9ba3933dc6ce43c145349770a39c30f9b647f17668f004bd2e05c80a2e7262f7';
    expect(depositSourceHash(block, 0)).not.toBe(depositSourceHash(block, 1));
    expect(depositSourceHash(block, 0)).not.toBe(depositSourceHash('0x' + '11'.repeat(32), 0));
  });
});

describe('depositTransactionHash', () => {
  const base: DepositTransaction = {
    sourceHash: '0x' + 'ab'.repeat(32),
    from: '0x' + '11'.repeat(20),
    to: '0x' + '22'.repeat(20),
    mint: 0n,
    value: 0n,
    gasLimit: 100_000n,
    isSystemTx: false,
    data: '0x',
    l1BlockHash: '0x' + '00'.repeat(32),
    l1BlockNumber: 1n,
    l1LogIndex: 0,
    l1TxHash: '0x' + '00'.repeat(32),
  };

  it('commits to every consensus field and ignores the L1 bookkeeping fields', () => {
    const h = depositTransactionHash(base);
    expect(depositTransactionHash({ ...base, mint: 1n })).not.toBe(h);
    expect(depositTransactionHash({ ...base, to: null })).not.toBe(h);
    expect(depositTransactionHash({ ...base, data: '0x01' })).not.toBe(h);
    expect(depositTransactionHash({ ...base, gasLimit: 100_001n })).not.toBe(h);
    expect(depositTransactionHash({ ...base, l1TxHash: '0x' + 'ff'.repeat(32) })).toBe(h);
  });
});
