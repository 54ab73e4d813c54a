import type { Deployment } from '@verity/core';

const address = (n: number) => '0x' + n.toString(16).padStart(40, '0');

/**
 * A deployment file's content for specs: placeholder addresses, and the chains' RPCs where the spec points them
 * (port 1 by default: nothing listens there, so the chains count as down).
 */
export function placeholderDeployment(l1RpcUrl = 'http://127.0.0.1:1', l2RpcUrl = 'http://127.0.0.1:1'): Deployment {
  return {
    l1: {
      chainId: 900,
      rpcUrl: l1RpcUrl,
      contracts: {
        SuperchainConfig: address(1),
        SystemConfig: address(2),
        L2OutputOracle: address(3),
        OptimismPortal: address(4),
        L1CrossDomainMessenger: address(5),
        L1StandardBridge: address(6),
        OptimismMintableERC20Factory: address(7),
      },
    },
    l2: {
      chainId: 901,
      rpcUrl: l2RpcUrl,
      contracts: {
        L2CrossDomainMessenger: address(8),
        L2StandardBridge: address(9),
        OptimismMintableERC20Factory: address(10),
        L1Block: address(11),
        L2ToL1MessagePasser: address(12),
      },
    },
    tokens: { VTY: { symbol: 'VTY', decimals: 18, l1: address(13), l2: address(14) } },
    roles: {
      deployer: address(15),
      proposer: address(16),
      challenger: address(17),
      guardian: address(18),
      treasury: address(19),
    },
    rollup: { finalizationPeriodSeconds: 12, submissionInterval: 2, l2BlockTime: 1 },
  };
}
