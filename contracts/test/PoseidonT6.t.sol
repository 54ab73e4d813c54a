// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PoseidonT6} from "../src/l2/generated/PoseidonT6.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice The generated Poseidon against circomlib's function (values from circuits/src/commit/poseidon.ts, which
///         circuits/src/commit/poseidon.spec.ts checks against circomlibjs's vectors).
contract PoseidonT6Test is TestBase {
    PoseidonT6 internal poseidon;

    function setUp() public {
        poseidon = new PoseidonT6();
    }

    function test_matchesTheCircuitsPoseidon() public view {
        assertEq(
            poseidon.hash([uint256(1), 2, 3, 4, 5]),
            6183221330272524995739186171720101788151706631170188140075976616310159254464,
            "Poseidon(1, 2, 3, 4, 5)"
        );
        assertEq(
            poseidon.hash([uint256(0), 0, 0, 0, 0]),
            14655542659562014735865511769057053982292279840403315552050801315682099828156,
            "Poseidon(0, 0, 0, 0, 0)"
        );
    }
}
