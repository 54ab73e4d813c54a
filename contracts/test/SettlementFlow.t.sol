// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ICrossDomainMessenger} from "../src/common/ICrossDomainMessenger.sol";
import {Job} from "../src/common/Job.sol";
import {Proof} from "../src/l1/Groth16.sol";
import {InferenceSettlement} from "../src/l1/InferenceSettlement.sol";
import {ModelRegistry} from "../src/l1/ModelRegistry.sol";
import {InferenceMarket} from "../src/l2/InferenceMarket.sol";
import {PoseidonT6} from "../src/l2/generated/PoseidonT6.sol";
import {Fixtures} from "./utils/Fixtures.sol";
import {MockL1Messenger, MockL2Messenger, MockVTY} from "./utils/Mocks.sol";

/// @notice A job's whole life across both layers with real proofs: requests signed to the L2 market, proofs made
///         (by the e2e suite) for the job ids those requests derive, settled on L1, the L1 message relayed to L2,
///         escrow released to the provers named in the proofs. The messengers are mocks (the OP bridge is outside
///         the system under test): the L1 one captures the message, the L2 one relays it "from" L1.
contract SettlementFlowTest is Fixtures {
    uint256 internal constant ALICE_KEY = 0xA11CE;
    address internal constant TREASURY = address(0x7EA5);
    address internal constant ADMIN = address(0xAD);

    ModelRegistry internal registry;
    MockL1Messenger internal l1Messenger;
    InferenceSettlement internal settlement;
    MockVTY internal token;
    MockL2Messenger internal l2Messenger;
    InferenceMarket internal market;
    address internal alice;
    uint256 internal count;
    PoseidonT6 internal poseidon;

    function setUp() public {
        if (!loadFixtures()) return;
        count = vm.parseJsonUintArray(fixtures, ".flow.nonces").length;
        address expectedMarket = vm.parseJsonAddress(fixtures, ".flow.market");
        vm.chainId(vm.parseJsonUint(fixtures, ".flow.chainId"));

        // L2 first (settlement needs the market's address, the market learns the settlement's address once).
        token = new MockVTY();
        l2Messenger = new MockL2Messenger();
        poseidon = new PoseidonT6();
        vm.prank(vm.parseJsonAddress(fixtures, ".flow.deployer"));
        market = new InferenceMarket(
            IERC20(address(token)), ICrossDomainMessenger(address(l2Messenger)), TREASURY, 250, 1 hours, ADMIN, poseidon
        );
        assertEq(address(market), expectedMarket, "market at the address the proofs' job ids were derived for");

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

    function requestFor(uint256 i, Job memory job) internal view returns (InferenceMarket.OpenRequest memory r) {
        string memory base = string.concat(".flow.requests[", vm.toString(i), "]");
        r = InferenceMarket.OpenRequest({
            modelId: job.modelId,
            inputCommitment: job.inputCommitment,
            reward: vm.parseJsonUint(fixtures, string.concat(base, ".reward")),
            maxFee: vm.parseJsonUint(fixtures, string.concat(base, ".maxFee")),
            deadline: uint64(vm.parseJsonUint(fixtures, string.concat(base, ".deadline"))),
            nonce: vm.parseJsonUint(fixtures, string.concat(base, ".nonce")),
            requester: alice
        });
    }

    /// @dev The message InferenceSettlement sent, relayed by the L2 messenger as coming from it.
    function relayLast() internal returns (bool) {
        MockL1Messenger.Sent memory sent = l1Messenger.sent(l1Messenger.sentCount() - 1);
        return l2Messenger.relayMessage(sent.sender, sent.target, sent.message);
    }

    function test_openSettleRelayRelease() public {
        Job[] memory jobs = new Job[](count);
        Proof[] memory proofs = new Proof[](count);
        InferenceMarket.OpenRequest[] memory requests = new InferenceMarket.OpenRequest[](count);
        bytes[] memory sigs = new bytes[](count);
        for (uint256 i = 0; i < count; ++i) {
            (jobs[i], proofs[i]) = provenJob(".flowJobs", i);
            requests[i] = requestFor(i, jobs[i]);
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(ALICE_KEY, market.hashJobRequest(requests[i]));
            sigs[i] = abi.encodePacked(r, s, v);
            assertEq(market.jobIdOf(requests[i]), jobs[i].jobId, "the proof is bound to the job id L2 derives");
        }

        // 1. L2: open (escrow).
        market.openJobs(requests, sigs);
        uint256 escrow = market.totalEscrow();
        assertTrue(escrow > 0, "escrowed");

        // 2. L1: settle the batch, one message out.
        uint256 batchId = settlement.settleBatch(jobs, proofs);
        assertEq(l1Messenger.sentCount(), 1, "one message");

        // 3. L2: the messenger relays it; anyone releases with the jobs from the L1 event.
        assertTrue(relayLast(), "relayed");
        market.releaseBatch(batchId, jobs);

        uint256 fees = 0;
        for (uint256 i = 0; i < count; ++i) {
            InferenceMarket.MarketJob memory j = market.job(jobs[i].jobId);
            assertTrue(j.status == InferenceMarket.JobStatus.Released, "released");
            assertEq(j.prover, jobs[i].prover, "paid to the prover named in the proof");
            assertEq(j.outputCommitment, jobs[i].outputCommitment, "output recorded");
            assertEq(token.balanceOf(jobs[i].prover), requests[i].reward, "reward");
            fees += j.fee;
        }
        assertEq(token.balanceOf(TREASURY), fees, "fees");
        assertEq(market.totalEscrow(), 0, "escrow released");
        assertEq(token.balanceOf(address(market)), market.totalBalances(), "conserved");

        // 4. The same proofs settled again on L1 (valid, so L1 accepts) pay nobody on L2.
        uint256 again = settlement.settleBatch(jobs, proofs);
        assertTrue(relayLast(), "relayed again");
        market.releaseBatch(again, jobs);
        for (uint256 i = 0; i < count; ++i) {
            assertEq(token.balanceOf(jobs[i].prover), requests[i].reward, "still paid once");
        }
    }

    function test_aProofOfAnotherInputForTheJobIdEarnsNothing() public {
        // Open job 0, then settle a real proof that binds job 0's id... to the input of another request: L1 cannot
        // know what was signed, L2 does. (Made by swapping in job 1's input commitment: the proof then fails on L1,
        // so instead settle job 1's genuine proof and show L2 does not pay job 0 for it.)
        (Job memory job0,) = provenJob(".flowJobs", 0);
        (Job memory job1, Proof memory proof1) = provenJob(".flowJobs", 1);
        InferenceMarket.OpenRequest[] memory requests = new InferenceMarket.OpenRequest[](1);
        bytes[] memory sigs = new bytes[](1);
        requests[0] = requestFor(0, job0);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ALICE_KEY, market.hashJobRequest(requests[0]));
        sigs[0] = abi.encodePacked(r, s, v);
        market.openJobs(requests, sigs);

        Job[] memory jobs = new Job[](1);
        Proof[] memory proofs = new Proof[](1);
        (jobs[0], proofs[0]) = (job1, proof1); // job 1 was never opened
        uint256 batchId = settlement.settleBatch(jobs, proofs);
        assertTrue(relayLast(), "relayed");
        market.releaseBatch(batchId, jobs);
        assertEq(token.balanceOf(job1.prover), 0, "nothing paid for a job that was not opened");
        assertTrue(market.job(job0.jobId).status == InferenceMarket.JobStatus.Open, "job 0 still open");
    }
}
