import { BaseError, type BaseErrorParameters } from '@verity/core';

export class RpcGatewayStartError extends BaseError {
  override name = 'RpcGatewayStartError';
  constructor(address: string, parameters?: BaseErrorParameters) {
    super('RPC_GATEWAY_START_FAILED', `the RPC gateway could not listen on ${address}`, parameters);
  }
}

/** The node behind the gateway failed to answer; the client gets JSON-RPC -32603 and HTTP 502. */
export class RpcUpstreamError extends BaseError {
  override name = 'RpcUpstreamError';
  constructor(parameters?: BaseErrorParameters) {
    super('RPC_UPSTREAM_FAILED', 'the node behind the RPC gateway did not answer', parameters);
  }
}
