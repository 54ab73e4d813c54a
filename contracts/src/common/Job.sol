// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev BN254 (alt_bn128) scalar field modulus r. Every Groth16 public signal is an element of this field, so
///      every value that ends up as a signal (model id, commitments, job id) must be below it.
uint256 constant SNARK_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

/// @notice One proven job, exactly the five public signals of a Verity proof in circuit order:
///         `modelId, inputCommitment, outputCommitment, jobId, prover` (prover as uint160 of the address).
/// @dev Shared by L1 (InferenceSettlement, which verifies proofs over it) and L2 (InferenceMarket, which releases
///      escrow for it). Both sides hash `abi.encode(Job[])`, so the layout must stay identical on both chains.
struct Job {
    uint256 modelId;
    uint256 inputCommitment;
    uint256 outputCommitment;
    uint256 jobId;
    address prover;
}
