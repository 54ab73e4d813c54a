import { Transaction, concat, encodeRlp } from 'ethers';

import { FORWARDED_READ_METHODS, rpcMethodPolicy } from './rpcMethodPolicy';

const call = (method: string, params: unknown = []) => rpcMethodPolicy({ request: { jsonrpc: '2.0', id: 1, method, params } });
const sendRaw = (raw: unknown) => call('eth_sendRawTransaction', [raw]);

/** Unsigned serializations start with the same EIP-2718 type byte as signed ones: all the policy reads. */
const serialized = (type: number): string =>
  Transaction.from({ type, chainId: 901n, nonce: 0, gasLimit: 21_000n, to: '0x' + '22'.repeat(20), value: 1n, gasPrice: 1n })
    .unsignedSerialized;
const deposit = concat([
  '0x7e',
  encodeRlp([
    '0x' + 'ab'.repeat(32),
    '0x' + '11'.repeat(20),
    '0x' + '22'.repeat(20),
    '0x0de0b6b3a7640000',
    '0x',
    '0x0186a0',
    '0x',
    '0x',
  ]),
]);

describe('rpcMethodPolicy', () => {
  it('forwards every listed read method', () => {
    for (const method of FORWARDED_READ_METHODS) expect(call(method)).toEqual({ allowed: true });
    for (const method of ['eth_chainId', 'eth_blockNumber', 'eth_call', 'eth_getLogs', 'eth_getProof', 'eth_feeHistory'])
      expect(FORWARDED_READ_METHODS.has(method)).toBe(true);
  });

  it('answers eth_accounts itself with no account, so the node never lists its unlocked keys', () => {
    expect(call('eth_accounts')).toEqual({ allowed: true, localResult: [] });
  });

  it.each([
    ['eth_sendTransaction', 'unlocked-signing', /eth_sendRawTransaction/],
    ['eth_sign', 'unlocked-signing', /sign locally/],
    ['eth_signTransaction', 'unlocked-signing', /sign locally/],
    ['eth_signTypedData_v4', 'unlocked-signing', /sign locally/],
    ['personal_sign', 'unlocked-signing', /sign locally/],
    ['personal_unlockAccount', 'unlocked-signing', /sign locally/],
    ['anvil_setBalance', 'cheat-code', /cheat codes stay on the devnet host/],
    ['anvil_impersonateAccount', 'cheat-code', /cheat codes/],
    ['evm_mine', 'cheat-code', /cheat codes/],
    ['evm_increaseTime', 'cheat-code', /cheat codes/],
    ['hardhat_setBalance', 'cheat-code', /cheat codes/],
    ['miner_start', 'node-internals', /mining control/],
    ['debug_traceTransaction', 'node-internals', /debug and trace/],
    ['admin_nodeInfo', 'node-internals', /node administration/],
    ['txpool_content', 'node-internals', /transaction pool/],
    ['ots_getApiLevel', 'node-internals', /Otterscan/],
    ['eth_newFilter', 'filter', /filters and subscriptions are not supported/],
    ['eth_newBlockFilter', 'filter', /filters/],
    ['eth_getFilterChanges', 'filter', /filters/],
    ['eth_subscribe', 'filter', /filters/],
  ])('refuses %s as %s, naming the family', (method, rule, message) => {
    const decision = call(method);
    expect(decision).toMatchObject({ allowed: false, code: -32601, rule });
    if (decision.allowed) return;
    expect(decision.reason).toMatch(new RegExp(`^method ${method} is not available through the gateway \\(`));
    expect(decision.reason).toMatch(message);
  });

  it('has the documented message for a cheat code', () => {
    expect(call('anvil_setBalance')).toMatchObject({
      reason: 'method anvil_setBalance is not available through the gateway (cheat codes stay on the devnet host)',
    });
  });

  it('refuses unknown methods and near-misses of allowed ones (the list is an allow-list)', () => {
    for (const method of ['eth_coinbase', 'rpc_modules', 'ETH_CHAINID', 'eth_chainId ', 'eth_sendRawTransactionSync', 'foo'])
      expect(call(method)).toEqual({
        allowed: false,
        code: -32601,
        rule: 'unknown-method',
        reason: `method ${method} is not available through the gateway`,
      });
  });

  it('keeps the message short when the method name is huge', () => {
    const decision = call('x'.repeat(10_000));
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) expect(decision.reason.length).toBeLessThan(200);
  });

  describe('eth_sendRawTransaction', () => {
    it('accepts legacy and typed 0x01 to 0x04 transactions', () => {
      expect(parseInt(serialized(0).slice(2, 4), 16)).toBeGreaterThanOrEqual(0xc0);
      for (const type of [0, 1, 2]) expect(sendRaw(serialized(type))).toEqual({ allowed: true });
      for (const raw of ['0x03c0', '0x04c0', '0xc0', '0xff00', '0xF86C']) expect(sendRaw(raw)).toEqual({ allowed: true });
    });

    it('refuses a deposit transaction (type 0x7e), whatever follows the type byte', () => {
      for (const raw of [deposit, '0x7e', '0x7E00']) {
        const decision = sendRaw(raw);
        expect(decision).toMatchObject({ allowed: false, code: -32602, rule: 'deposit-transaction' });
        if (!decision.allowed) expect(decision.reason).toMatch(/^deposit transactions \(type 0x7e\) are not accepted: /);
      }
    });

    it.each(['0x00', '0x05', '0x7d', '0x7f', '0xbf'])('refuses unknown type byte %s', (typeByte) => {
      expect(sendRaw(typeByte + 'c0')).toEqual({
        allowed: false,
        code: -32602,
        rule: 'unsupported-transaction-type',
        reason: `transaction type ${typeByte} is not accepted: only legacy and types 0x01 to 0x04 are`,
      });
    });

    it.each([
      ['an empty payload', ''],
      ['a bare 0x', '0x'],
      ['no 0x prefix', 'f86c'],
      ['an odd number of digits', '0x7'],
      ['non-hex digits', '0xzz'],
      ['hex with spaces', '0x02 c0'],
      ['a number', 2],
      ['null', null],
      ['an object', { raw: '0x02' }],
    ])('refuses %s', (_, raw) => {
      expect(sendRaw(raw)).toMatchObject({ allowed: false, code: -32602, rule: 'invalid-raw-transaction' });
    });

    it('refuses missing, extra or named parameters', () => {
      for (const params of [[], [serialized(2), serialized(2)], { raw: serialized(2) }, undefined])
        expect(call('eth_sendRawTransaction', params)).toMatchObject({
          allowed: false,
          code: -32602,
          rule: 'invalid-raw-transaction',
        });
    });
  });

  it.each([
    ['null', null],
    ['a number', 42],
    ['a string', 'eth_chainId'],
    ['an array', [{ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }]],
    ['an object with no method', { jsonrpc: '2.0', id: 1 }],
    ['a non-string method', { jsonrpc: '2.0', id: 1, method: 7 }],
    ['an empty method', { jsonrpc: '2.0', id: 1, method: '' }],
    ['a missing jsonrpc version', { id: 1, method: 'eth_chainId' }],
    ['another jsonrpc version', { jsonrpc: '1.0', id: 1, method: 'eth_chainId' }],
    ['an object id', { jsonrpc: '2.0', id: {}, method: 'eth_chainId' }],
    ['a non-container params', { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: 'x' }],
    ['null params', { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: null }],
  ])('answers %s with -32600', (_, request) => {
    expect(rpcMethodPolicy({ request })).toMatchObject({ allowed: false, code: -32600, rule: 'invalid-request' });
  });

  it('accepts notifications (no id), string and null ids, and requests without params', () => {
    expect(rpcMethodPolicy({ request: { jsonrpc: '2.0', method: 'eth_chainId' } })).toEqual({ allowed: true });
    expect(rpcMethodPolicy({ request: { jsonrpc: '2.0', id: 'a', method: 'eth_chainId' } })).toEqual({ allowed: true });
    expect(rpcMethodPolicy({ request: { jsonrpc: '2.0', id: null, method: 'eth_blockNumber' } })).toEqual({ allowed: true });
  });
});
