import { isJsonRpcId, JSON_RPC_ERROR_CODE, type JsonRpcErrorCode, type JsonRpcRequest } from './jsonRpc';

/**
 * Standard reads, forwarded unchanged: none changes state, signs with a node-held key or reaches past the chain
 * data. Anything not listed here (or in LOCAL_RESULTS, or eth_sendRawTransaction) is refused: an allow-list, so a
 * cheat code added by a future anvil release stays closed.
 */
export const FORWARDED_READ_METHODS: ReadonlySet<string> = new Set([
  'web3_clientVersion',
  'net_version',
  'net_listening',
  'eth_chainId',
  'eth_syncing',
  'eth_blockNumber',
  'eth_getBalance',
  'eth_getCode',
  'eth_getStorageAt',
  'eth_getTransactionCount',
  'eth_getProof',
  'eth_call',
  'eth_estimateGas',
  'eth_createAccessList',
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_getBlockReceipts',
  'eth_getBlockTransactionCountByNumber',
  'eth_getBlockTransactionCountByHash',
  'eth_getUncleCountByBlockNumber',
  'eth_getUncleCountByBlockHash',
  'eth_getTransactionByHash',
  'eth_getTransactionByBlockNumberAndIndex',
  'eth_getTransactionByBlockHashAndIndex',
  'eth_getTransactionReceipt',
  'eth_getLogs',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_feeHistory',
  'eth_blobBaseFee',
]);

/** Methods the gateway answers itself. eth_accounts: anvil would list its unlocked dev accounts. */
export const LOCAL_RESULTS: ReadonlyMap<string, unknown> = new Map<string, unknown>([['eth_accounts', []]]);

/** Why a request was refused, for logs: callers branch on this or on `code`, never on `reason`. */
export type RpcRefusalRule =
  | 'invalid-request'
  | 'invalid-raw-transaction'
  | 'deposit-transaction'
  | 'unsupported-transaction-type'
  | 'unlocked-signing'
  | 'cheat-code'
  | 'node-internals'
  | 'filter'
  | 'unknown-method';

export type RpcMethodPolicyParameters = {
  /** One element of the decoded body, unchecked: the policy itself decides whether it is a valid request. */
  request: unknown;
};

export type RpcMethodPolicyReturnType =
  | {
      allowed: true;
      /** Present when the gateway answers with this result itself instead of forwarding. */
      localResult?: unknown;
    }
  | { allowed: false; code: JsonRpcErrorCode; rule: RpcRefusalRule; reason: string };

/** Pure and total: never throws, whatever it is given. */
export type RpcMethodPolicyErrorType = never;

type Refusal = Extract<RpcMethodPolicyReturnType, { allowed: false }>;

/** Refused families, named in the message so a client learns why rather than a bare "not found". */
const REFUSED_FAMILIES: { rule: RpcRefusalRule; matches: (method: string) => boolean; why: string }[] = [
  {
    rule: 'unlocked-signing',
    // eth_sendTransaction is also how a 0x7e deposit (which carries no signature) would be minted.
    matches: (m) => m === 'eth_sendTransaction' || m.startsWith('eth_sign') || m.startsWith('personal_'),
    why: 'no account is unlocked here: sign locally and send with eth_sendRawTransaction',
  },
  {
    rule: 'cheat-code',
    matches: (m) => m.startsWith('anvil_') || m.startsWith('evm_') || m.startsWith('hardhat_'),
    why: 'cheat codes stay on the devnet host',
  },
  {
    rule: 'node-internals',
    matches: (m) => m.startsWith('miner_'),
    why: 'mining control stays on the devnet host',
  },
  {
    rule: 'node-internals',
    matches: (m) => m.startsWith('debug_'),
    why: 'debug and trace methods stay on the devnet host',
  },
  {
    rule: 'node-internals',
    matches: (m) => m.startsWith('admin_'),
    why: 'node administration stays on the devnet host',
  },
  {
    rule: 'node-internals',
    matches: (m) => m.startsWith('txpool_'),
    why: 'the transaction pool is not exposed',
  },
  {
    rule: 'node-internals',
    matches: (m) => m.startsWith('ots_'),
    why: 'Otterscan methods are not exposed',
  },
  {
    rule: 'filter',
    // Server-side filters hold state per client; a stateless poll does the same job through this gateway.
    matches: (m) =>
      /^eth_(newFilter|newBlockFilter|newPendingTransactionFilter|getFilterChanges|getFilterLogs|uninstallFilter|subscribe|unsubscribe)$/.test(
        m,
      ),
    why: 'filters and subscriptions are not supported: poll eth_blockNumber and eth_getLogs instead',
  },
];

// EIP-2718: a legacy transaction is an RLP list (first byte >= 0xc0); typed ones start with their type byte.
const ACCEPTED_TYPED_TRANSACTIONS = new Set([0x01, 0x02, 0x03, 0x04]);
const DEPOSIT_TRANSACTION_TYPE = 0x7e;
const HEX_BYTES = /^0x(?:[0-9a-fA-F]{2})+$/;

/** Method names are client input: keep messages and logs short whatever is sent. */
const shown = (method: string): string => (method.length > 64 ? `${method.slice(0, 64)}…` : method);

const refuse = (code: JsonRpcErrorCode, rule: RpcRefusalRule, reason: string): Refusal => ({
  allowed: false,
  code,
  rule,
  reason,
});

const invalid = (reason: string): Refusal => refuse(JSON_RPC_ERROR_CODE.INVALID_REQUEST, 'invalid-request', reason);

/**
 * Decides what the public RPC gateway does with one JSON-RPC request: forward it to anvil, answer it locally, or
 * refuse it with a JSON-RPC error code and a message for the client.
 *
 * @example
 * rpcMethodPolicy({ request: { jsonrpc: '2.0', id: 1, method: 'anvil_setBalance', params: [] } });
 * // { allowed: false, code: -32601, rule: 'cheat-code', reason: 'method anvil_setBalance is not available …' }
 */
export function rpcMethodPolicy(parameters: RpcMethodPolicyParameters): RpcMethodPolicyReturnType {
  const { request } = parameters;
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    return invalid('a request must be a JSON object');
  const { jsonrpc, id, method, params } = request as Partial<Record<keyof JsonRpcRequest, unknown>>;
  if (jsonrpc !== '2.0') return invalid('a request must have "jsonrpc": "2.0"');
  if ('id' in request && !isJsonRpcId(id)) return invalid('a request id must be a string, a number or null');
  if (typeof method !== 'string' || method === '') return invalid('a request must name its method');
  if (params !== undefined && (typeof params !== 'object' || params === null))
    return invalid('params must be an array or an object');

  if (method === 'eth_sendRawTransaction') return checkRawTransaction(params);
  if (FORWARDED_READ_METHODS.has(method)) return { allowed: true };
  if (LOCAL_RESULTS.has(method)) return { allowed: true, localResult: LOCAL_RESULTS.get(method) };

  const family = REFUSED_FAMILIES.find((f) => f.matches(method));
  const reason = `method ${shown(method)} is not available through the gateway`;
  return family
    ? refuse(JSON_RPC_ERROR_CODE.METHOD_NOT_FOUND, family.rule, `${reason} (${family.why})`)
    : refuse(JSON_RPC_ERROR_CODE.METHOD_NOT_FOUND, 'unknown-method', reason);
}

function checkRawTransaction(params: unknown): RpcMethodPolicyReturnType {
  const invalidParams = (rule: RpcRefusalRule, reason: string): Refusal =>
    refuse(JSON_RPC_ERROR_CODE.INVALID_PARAMS, rule, reason);
  if (!Array.isArray(params) || params.length !== 1)
    return invalidParams('invalid-raw-transaction', 'eth_sendRawTransaction takes exactly one parameter');
  const raw: unknown = params[0];
  if (typeof raw !== 'string' || !HEX_BYTES.test(raw))
    return invalidParams('invalid-raw-transaction', 'eth_sendRawTransaction expects a non-empty 0x-prefixed hex string');

  const type = parseInt(raw.slice(2, 4), 16);
  if (type === DEPOSIT_TRANSACTION_TYPE)
    return invalidParams(
      'deposit-transaction',
      'deposit transactions (type 0x7e) are not accepted: deposits reach L2 only from L1 through the OptimismPortal and the deposit relayer',
    );
  if (type >= 0xc0 || ACCEPTED_TYPED_TRANSACTIONS.has(type)) return { allowed: true };
  return invalidParams(
    'unsupported-transaction-type',
    `transaction type 0x${type.toString(16).padStart(2, '0')} is not accepted: only legacy and types 0x01 to 0x04 are`,
  );
}
