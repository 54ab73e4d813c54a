// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ICrossDomainMessenger} from "../../src/common/ICrossDomainMessenger.sol";
import {InferenceSettlement} from "../../src/l1/InferenceSettlement.sol";
import {ModelRegistry} from "../../src/l1/ModelRegistry.sol";
import {InferenceMarket} from "../../src/l2/InferenceMarket.sol";
import {PoseidonT6} from "../../src/l2/generated/PoseidonT6.sol";
import {Fixtures} from "./Fixtures.sol";
import {MockL1Messenger, MockL2Messenger, MockVTY, aliasOf} from "./Mocks.sol";

/// @notice Both layers for the flow tests: the L2 market at the address the fixtures' job ids were derived for (the
///         flow deployer's first contract), the registry with the fixtures' first model, the settlement, mock
///         messengers on each side, and alice's prepaid balance.
abstract contract FlowFixture is Fixtures {
    uint256 internal constant ALICE_KEY = 0xA11CE;
    address internal constant TREASURY = address(0x7EA5);
    address internal constant ADMIN = address(0xAD);

    ModelRegistry internal registry;
    MockL1Messenger internal l1Messenger;
    InferenceSettlement internal settlement;
    MockVTY internal token;
    MockL2Messenger internal l2Messenger;
    PoseidonT6 internal poseidon;
    InferenceMarket internal market;
    address internal alice;

    /// @dev Call from setUp once the fixtures are loaded.
    function deployFlow() internal {
        vm.chainId(vm.parseJsonUint(fixtures, ".flow.chainId"));
        // L2 first (settlement needs the market's address, the market learns the settlement's address once).
        token = new MockVTY();
        l2Messenger = new MockL2Messenger();
        poseidon = new PoseidonT6();
        vm.prank(vm.parseJsonAddress(fixtures, ".flow.deployer"));
        market = new InferenceMarket(
            IERC20(address(token)), ICrossDomainMessenger(address(l2Messenger)), TREASURY, 250, 1 hours, ADMIN, poseidon
        );
        assertEq(
            address(market),
            vm.parseJsonAddress(fixtures, ".flow.market"),
            "market at the address the proofs' job ids were derived for"
        );

        registry = new ModelRegistry(ADMIN, 1 days);
        registry.registerModel(modelId(0), verifyingKey(0), modelInfo(0));
        l1Messenger = new MockL1Messenger();
        settlement =
            new InferenceSettlement(registry, ICrossDomainMessenger(address(l1Messenger)), address(market), 300_000);
        vm.prank(ADMIN);
        market.setL1Settlement(address(settlement));

        alice = vm.addr(ALICE_KEY);
        token.mint(alice, 1_000 ether);
        vm.startPrank(alice);
        token.approve(address(market), type(uint256).max);
        market.deposit(1_000 ether);
        vm.stopPrank();
    }

    /// @dev Flow request `i` of the fixtures for the given model and input commitment, from alice.
    function flowRequest(uint256 i, uint256 model, uint256 inputCommitment)
        internal
        view
        returns (InferenceMarket.OpenRequest memory)
    {
        string memory base = string.concat(".flow.requests[", vm.toString(i), "]");
        return InferenceMarket.OpenRequest({
            modelId: model,
            inputCommitment: inputCommitment,
            reward: vm.parseJsonUint(fixtures, string.concat(base, ".reward")),
            maxFee: vm.parseJsonUint(fixtures, string.concat(base, ".maxFee")),
            deadline: uint64(vm.parseJsonUint(fixtures, string.concat(base, ".deadline"))),
            nonce: vm.parseJsonUint(fixtures, string.concat(base, ".nonce")),
            requester: alice
        });
    }

    function signRequest(InferenceMarket.OpenRequest memory request) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ALICE_KEY, market.hashJobRequest(request));
        return abi.encodePacked(r, s, v);
    }

    /// @dev The last thing InferenceSettlement sent to L2: a message, relayed by the L2 messenger as coming from it,
    ///      or a deposit, run from its aliased address with the deposit's gas limit (a failed deposit is not retried).
    function relayLast() internal returns (bool ok) {
        MockL1Messenger.Sent memory sent = l1Messenger.sent(l1Messenger.sentCount() - 1);
        if (!sent.deposit) return l2Messenger.relayMessage(sent.sender, sent.target, sent.message);
        // A deposit's gas limit also pays its transaction's intrinsic gas: 21000 and the calldata.
        uint256 intrinsic = 21_000;
        for (uint256 i = 0; i < sent.message.length; ++i) {
            intrinsic += sent.message[i] == 0 ? 4 : 16;
        }
        vm.prank(aliasOf(sent.sender));
        (ok,) = sent.target.call{gas: sent.minGasLimit - intrinsic}(sent.message);
    }
}
