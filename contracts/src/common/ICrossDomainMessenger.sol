// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ICrossDomainMessenger
/// @notice The two functions of OP Stack's CrossDomainMessenger (L1 and L2 share the interface) that Verity uses.
/// @dev Declared here instead of importing bedrock sources: the OP contracts are deployed from their published
///      artifacts, and this is the whole surface our contracts rely on.
interface ICrossDomainMessenger {
    /// @notice Sends `message` to `target` on the other chain; it runs there with at least `minGasLimit` gas.
    function sendMessage(address target, bytes calldata message, uint32 minGasLimit) external payable;

    /// @notice While a relayed message executes: the address that sent it on the other chain. Reverts otherwise.
    function xDomainMessageSender() external view returns (address);
}

/// @title IL1MessengerPortal
/// @notice The L1CrossDomainMessenger's own OptimismPortal (contracts-bedrock: `portal()`).
interface IL1MessengerPortal {
    function portal() external view returns (address);
}

/// @title IOptimismPortalDeposits
/// @notice OptimismPortal's deposit entry point: an L2 transaction from the caller (its address aliased when it is a
///         contract) to `to`, with `gasLimit` L2 gas, bought with an L1 gas burn.
interface IOptimismPortalDeposits {
    function depositTransaction(address to, uint256 value, uint64 gasLimit, bool isCreation, bytes memory data)
        external
        payable;
}

/// @title ISettledBatchReceiver
/// @notice What InferenceSettlement calls on L2 once a batch verified on L1: `recordSettledBatch` through the
///         messenger, `recordProvenBatch` by a portal deposit from the settlement's aliased address.
interface ISettledBatchReceiver {
    /// @notice Records that L1 verified batch `batchId` whose jobs hash to `batchHash` (`keccak256(abi.encode(jobs))`).
    function recordSettledBatch(uint256 batchId, bytes32 batchHash, uint256 jobCount) external;

    /// @notice Records that L1 verified one batch proof for `jobCount` jobs of model `modelId` whose tuples
    ///         (jobId, prover, inputCommitment, outputCommitment) chain-hash with Poseidon to `batchHash`.
    function recordProvenBatch(uint256 batchId, uint256 modelId, uint256 batchHash, uint256 jobCount) external;
}
