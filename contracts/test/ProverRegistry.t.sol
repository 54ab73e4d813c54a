// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ProverRegistry} from "../src/l2/ProverRegistry.sol";
import {MockVTY} from "./utils/Mocks.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice Staking, unbonding and slashing of provers.
contract ProverRegistryTest is TestBase {
    address internal constant ADMIN = address(0xAD);
    address internal constant SLASHER = address(0x51A5);
    address internal constant PROVER = address(0x9400);
    address internal constant VICTIM = address(0x7EA5);
    uint256 internal constant MIN_STAKE = 100 ether;
    uint256 internal constant DELAY = 7 days;

    MockVTY internal token;
    ProverRegistry internal registry;

    function setUp() public {
        token = new MockVTY();
        registry = new ProverRegistry(IERC20(address(token)), MIN_STAKE, DELAY, ADMIN);
        bytes32 slasherRole = registry.SLASHER_ROLE();
        vm.prank(ADMIN);
        registry.grantRole(slasherRole, SLASHER);
        token.mint(PROVER, 1_000 ether);
        vm.prank(PROVER);
        token.approve(address(registry), type(uint256).max);
    }

    function stake(uint256 amount) internal {
        vm.prank(PROVER);
        registry.stake(amount);
    }

    function assertConserved() internal view {
        assertEq(
            token.balanceOf(address(registry)),
            registry.totalBonded() + registry.totalUnbonding(),
            "registry balance == bonded + unbonding"
        );
    }

    function test_activeOnlyWithTheMinimumStake() public {
        stake(MIN_STAKE - 1);
        assertFalse(registry.isActive(PROVER), "below the minimum");
        stake(1);
        assertTrue(registry.isActive(PROVER), "at the minimum");
        assertEq(registry.stakeOf(PROVER), MIN_STAKE, "stake");
        assertConserved();
        vm.expectRevert(ProverRegistry.ZeroAmount.selector);
        stake(0);
    }

    function test_unbondingWaitsTheDelay() public {
        stake(150 ether);
        vm.prank(PROVER);
        registry.requestUnbond(50 ether);
        assertTrue(registry.isActive(PROVER), "100 still bonded");
        assertEq(registry.stakeInfoOf(PROVER).unbonding, 50 ether, "unbonding");

        vm.warp(block.timestamp + DELAY - 1);
        vm.prank(PROVER);
        vm.expectRevert(abi.encodeWithSelector(ProverRegistry.UnbondingNotReady.selector, block.timestamp + 1));
        registry.withdrawUnbonded();

        vm.warp(block.timestamp + 1);
        vm.prank(PROVER);
        registry.withdrawUnbonded();
        assertEq(token.balanceOf(PROVER), 900 ether, "50 back");
        vm.prank(PROVER);
        vm.expectRevert(ProverRegistry.NothingUnbonding.selector);
        registry.withdrawUnbonded();
        assertConserved();
    }

    function test_aLaterUnbondRestartsTheDelay() public {
        stake(300 ether);
        vm.prank(PROVER);
        registry.requestUnbond(10 ether);
        vm.warp(block.timestamp + DELAY - 1);
        vm.prank(PROVER);
        registry.requestUnbond(10 ether);
        vm.warp(block.timestamp + 1);
        vm.prank(PROVER);
        vm.expectRevert(abi.encodeWithSelector(ProverRegistry.UnbondingNotReady.selector, block.timestamp + DELAY - 1));
        registry.withdrawUnbonded();
    }

    function test_unbondingBelowTheMinimumExitsUntilStakedAgain() public {
        stake(150 ether);
        vm.prank(PROVER);
        registry.requestUnbond(60 ether);
        assertFalse(registry.isActive(PROVER), "exited");
        // Lowering the minimum does not bring back a prover that chose to leave.
        vm.prank(ADMIN);
        registry.setMinStake(50 ether);
        assertFalse(registry.isActive(PROVER), "still exited");
        stake(1 ether);
        assertTrue(registry.isActive(PROVER), "rejoined");
        vm.prank(PROVER);
        vm.expectRevert(abi.encodeWithSelector(ProverRegistry.InsufficientBonded.selector, 91 ether, 92 ether));
        registry.requestUnbond(92 ether);
    }

    function test_onlyASlasherSlashes() public {
        stake(150 ether);
        bytes32 role = registry.SLASHER_ROLE();
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, PROVER, role));
        vm.prank(PROVER);
        registry.slash(PROVER, 1, PROVER);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, ADMIN, role));
        vm.prank(ADMIN);
        registry.slash(PROVER, 1, ADMIN);
    }

    function test_slashTakesBondedThenUnbondingStake() public {
        stake(150 ether);
        vm.prank(PROVER);
        registry.requestUnbond(100 ether); // 50 bonded, 100 unbonding: leaving does not escape a pending dispute
        vm.prank(SLASHER);
        uint256 slashed = registry.slash(PROVER, 80 ether, VICTIM);
        assertEq(slashed, 80 ether, "slashed");
        ProverRegistry.Stake memory s = registry.stakeInfoOf(PROVER);
        assertEq(s.bonded, 0, "bonded first");
        assertEq(s.unbonding, 70 ether, "then unbonding");
        assertEq(token.balanceOf(VICTIM), 80 ether, "to the recipient");
        assertConserved();

        // More than there is: everything there is.
        vm.prank(SLASHER);
        slashed = registry.slash(PROVER, 1_000 ether, VICTIM);
        assertEq(slashed, 70 ether, "capped at the stake");
        assertEq(registry.stakeInfoOf(PROVER).unbonding, 0, "nothing left");
        assertConserved();
        vm.warp(block.timestamp + DELAY);
        vm.prank(PROVER);
        vm.expectRevert(ProverRegistry.NothingUnbonding.selector);
        registry.withdrawUnbonded();
    }

    function test_adminBounds() public {
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(ProverRegistry.DelayTooLong.selector, 61 days));
        registry.setUnbondingDelay(61 days);
        bytes32 adminRole = registry.DEFAULT_ADMIN_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, PROVER, adminRole)
        );
        vm.prank(PROVER);
        registry.setMinStake(0);
    }

    function testFuzz_stakeUnbondSlashConserve(uint96 a, uint96 b, uint96 c) public {
        uint256 staked = bound(a, 1, 1_000 ether);
        uint256 unbond = bound(b, 0, staked);
        stake(staked);
        if (unbond > 0) {
            vm.prank(PROVER);
            registry.requestUnbond(unbond);
        }
        vm.prank(SLASHER);
        uint256 slashed = registry.slash(PROVER, c, VICTIM);
        assertEq(slashed, c < staked ? c : staked, "slashed min(amount, stake)");
        assertConserved();
        ProverRegistry.Stake memory s = registry.stakeInfoOf(PROVER);
        assertEq(uint256(s.bonded) + s.unbonding + slashed, staked, "nothing created or lost");
    }
}
