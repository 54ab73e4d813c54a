// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IPoseidonT6
/// @notice The Poseidon (width 6) chain the batch circuit hashes its jobs with; implemented by the generated
///         contracts/src/l2/generated/PoseidonT6.sol.
interface IPoseidonT6 {
    /// @notice h = 0, then h = Poseidon(h, w[4k..4k+3]) for each group of four words; reverts on a word ≥ r.
    function chain(uint256[] calldata words) external view returns (uint256);
}
