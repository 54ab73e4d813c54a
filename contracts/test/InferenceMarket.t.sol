// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ICrossDomainMessenger} from "../src/common/ICrossDomainMessenger.sol";
import {Job, SNARK_SCALAR_FIELD} from "../src/common/Job.sol";
import {InferenceMarket} from "../src/l2/InferenceMarket.sol";
import {PoseidonT6} from "../src/l2/generated/PoseidonT6.sol";
import {GasBurningWallet, MockL2Messenger, MockVTY, OwnedWallet} from "./utils/Mocks.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice Shared set-up and helpers for the market tests (also used by the invariant handler's test).
abstract contract MarketFixture is TestBase {
    address internal constant L1_SETTLEMENT = address(0x5E771E);
    address internal constant TREASURY = address(0x7EA5);
    address internal constant ADMIN = address(0xAD);
    uint256 internal constant FEE_BPS = 250;
    uint256 internal constant REFUND_DELAY = 1 hours;
    uint256 internal constant ALICE_KEY = 0xA11CE;
    uint256 internal constant BOB_KEY = 0xB0B;

    MockVTY internal token;
    MockL2Messenger internal messenger;
    PoseidonT6 internal poseidon;
    InferenceMarket internal market;
    address internal alice;
    address internal bob;
    uint256 internal nextBatchId = 1;

    function deployMarket() internal {
        token = new MockVTY();
        messenger = new MockL2Messenger();
        poseidon = new PoseidonT6();
        market = newMarket();
        alice = vm.addr(ALICE_KEY);
        bob = vm.addr(BOB_KEY);
        fund(alice, 1_000 ether);
        fund(bob, 1_000 ether);
    }

    function newMarket() internal returns (InferenceMarket m) {
        m = new InferenceMarket(
            IERC20(address(token)), ICrossDomainMessenger(address(messenger)), TREASURY, FEE_BPS, REFUND_DELAY, ADMIN, poseidon
        );
        vm.prank(ADMIN);
        m.setL1Settlement(L1_SETTLEMENT);
    }

    function fund(address account, uint256 amount) internal {
        token.mint(account, amount);
        vm.startPrank(account);
        token.approve(address(market), type(uint256).max);
        market.deposit(amount);
        vm.stopPrank();
    }

    function request(address requester, uint256 reward, uint256 nonce)
        internal
        view
        returns (InferenceMarket.OpenRequest memory)
    {
        return InferenceMarket.OpenRequest({
            modelId: 77,
            inputCommitment: uint256(keccak256(abi.encode("input", nonce))) % SNARK_SCALAR_FIELD,
            reward: reward,
            maxFee: reward,
            deadline: uint64(block.timestamp + 1 days),
            nonce: nonce,
            requester: requester
        });
    }

    function sign(InferenceMarket m, uint256 key, InferenceMarket.OpenRequest memory r)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(key, m.hashJobRequest(r));
        return abi.encodePacked(rr, s, v);
    }

    function open(InferenceMarket.OpenRequest memory r, bytes memory signature) internal returns (uint256 jobId) {
        InferenceMarket.OpenRequest[] memory rs = new InferenceMarket.OpenRequest[](1);
        bytes[] memory sigs = new bytes[](1);
        rs[0] = r;
        sigs[0] = signature;
        market.openJobs(rs, sigs);
        return market.jobIdOf(r);
    }

    function settledJob(InferenceMarket.OpenRequest memory r, address prover) internal view returns (Job memory) {
        return Job(
            r.modelId,
            r.inputCommitment,
            uint256(keccak256(abi.encode("out", r.nonce))) % SNARK_SCALAR_FIELD,
            market.jobIdOf(r),
            prover
        );
    }

    function recordMessage(uint256 batchId, Job[] memory jobs) internal pure returns (bytes memory) {
        return abi.encodeCall(InferenceMarket.recordSettledBatch, (batchId, keccak256(abi.encode(jobs)), jobs.length));
    }

    /// @dev What InferenceSettlement's message does on L2: the messenger relays recordSettledBatch from L1.
    function record(Job[] memory jobs) internal returns (uint256 batchId) {
        batchId = nextBatchId++;
        assertTrue(messenger.relayMessage(L1_SETTLEMENT, address(market), recordMessage(batchId, jobs)), "record");
    }

    /// @dev Record, then release (anyone may call releaseBatch).
    function settle(Job[] memory jobs) internal returns (uint256 batchId) {
        batchId = record(jobs);
        market.releaseBatch(batchId, jobs);
    }

    function one(Job memory job) internal pure returns (Job[] memory jobs) {
        jobs = new Job[](1);
        jobs[0] = job;
    }

    function assertConserved() internal view {
        assertEq(
            token.balanceOf(address(market)),
            market.totalBalances() + market.totalEscrow(),
            "market balance == balances + escrow"
        );
    }
}

/// @notice A messenger stub that always reports one L1 sender: isolates the market's gas in a relay.
contract FixedSenderMessenger {
    address public immutable xDomainMessageSender;

    constructor(address sender) {
        xDomainMessageSender = sender;
    }

    function relay(address target, bytes calldata message) external {
        (bool ok,) = target.call(message);
        require(ok, "relay failed");
    }
}

/// @notice The L2 market: requests, replay protection, settlement authentication, release, refunds, pause.
contract InferenceMarketTest is MarketFixture {
    address internal constant PROVER = address(0x9400);

    function setUp() public {
        deployMarket();
    }

    function expectRejected(InferenceMarket.OpenRequest memory r, InferenceMarket.RejectReason reason) internal {
        vm.expectEmit(true, true, false, true, address(market));
        emit InferenceMarket.JobRejected(market.jobIdOf(r), r.requester, reason);
    }

    // ------------------------------------------------------------------ balances

    function test_depositDepositForAndWithdraw() public {
        assertEq(market.balances(alice), 1_000 ether, "funded");
        token.mint(address(this), 5 ether);
        token.approve(address(market), 5 ether);
        market.depositFor(bob, 5 ether);
        assertEq(market.balances(bob), 1_005 ether, "depositFor credits the account");
        vm.prank(bob);
        market.withdraw(5 ether);
        assertEq(token.balanceOf(bob), 5 ether, "withdrawn");
        assertEq(market.balances(bob), 1_000 ether, "balance");

        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.InsufficientBalance.selector, 1_000 ether, 1_001 ether));
        market.withdraw(1_001 ether);
        vm.expectRevert(InferenceMarket.ZeroAmount.selector);
        market.deposit(0);
        assertConserved();
    }

    // ------------------------------------------------------------------ opening

    function test_opensASignedRequestIntoEscrow() public {
        InferenceMarket.OpenRequest memory r = request(alice, 10 ether, 1);
        uint256 jobId = market.jobIdOf(r);
        assertEq(
            jobId,
            uint256(keccak256(abi.encode(market.hashJobRequest(r), r.requester))) % SNARK_SCALAR_FIELD,
            "job id = keccak256(digest, requester) mod r"
        );
        uint256 fee = (10 ether * FEE_BPS) / 10_000;
        vm.expectEmit(true, true, true, true, address(market));
        emit InferenceMarket.JobOpened(jobId, alice, r.modelId, r.inputCommitment, 10 ether, fee, r.deadline);
        open(r, sign(market, ALICE_KEY, r));

        InferenceMarket.MarketJob memory j = market.job(jobId);
        assertTrue(j.status == InferenceMarket.JobStatus.Open, "open");
        assertEq(j.requester, alice, "requester");
        assertEq(j.reward, 10 ether, "reward");
        assertEq(j.fee, fee, "fee");
        assertEq(j.modelId, r.modelId, "model");
        assertEq(j.inputCommitment, r.inputCommitment, "input");
        assertEq(market.balances(alice), 1_000 ether - 10 ether - fee, "balance");
        assertEq(market.totalEscrow(), 10 ether + fee, "escrow");
        assertTrue(market.nonceUsed(alice, 1), "nonce used");
        assertConserved();
    }

    function test_theSameRequestTwiceOpensOnce() public {
        InferenceMarket.OpenRequest memory r = request(alice, 1 ether, 7);
        bytes memory sig = sign(market, ALICE_KEY, r);
        InferenceMarket.OpenRequest[] memory rs = new InferenceMarket.OpenRequest[](2);
        bytes[] memory sigs = new bytes[](2);
        (rs[0], rs[1], sigs[0], sigs[1]) = (r, r, sig, sig);
        expectRejected(r, InferenceMarket.RejectReason.NonceUsed);
        market.openJobs(rs, sigs);
        // ... and again in a later transaction.
        expectRejected(r, InferenceMarket.RejectReason.NonceUsed);
        open(r, sig);
        assertEq(market.totalEscrow(), 1 ether + 1 ether * FEE_BPS / 10_000, "escrowed once");
    }

    function test_aSignatureForAnotherMarketIsRejected() public {
        InferenceMarket other = newMarket();
        vm.startPrank(alice);
        token.mint(alice, 10 ether);
        token.approve(address(other), 10 ether);
        other.deposit(10 ether);
        vm.stopPrank();
        InferenceMarket.OpenRequest memory r = request(alice, 1 ether, 1);
        bytes memory sigForMarket = sign(market, ALICE_KEY, r);
        InferenceMarket.OpenRequest[] memory rs = new InferenceMarket.OpenRequest[](1);
        bytes[] memory sigs = new bytes[](1);
        (rs[0], sigs[0]) = (r, sigForMarket);
        vm.expectEmit(true, true, false, true, address(other));
        emit InferenceMarket.JobRejected(other.jobIdOf(r), alice, InferenceMarket.RejectReason.BadSignature);
        other.openJobs(rs, sigs);
        assertEq(other.totalEscrow(), 0, "nothing opened on the other market");
    }

    function test_aCopyOfARequestSignedByAnotherRequesterCannotTakeItsJobId() public {
        // Mallory sees Alice's request and front-runs it with identical terms signed by herself: same EIP-712 digest,
        // but the job id includes the requester, so Alice's job still opens under its own id.
        InferenceMarket.OpenRequest memory theirs = request(alice, 1 ether, 1);
        // A separate struct (assigning a memory struct copies the reference, not the fields).
        InferenceMarket.OpenRequest memory copy = request(alice, 1 ether, 1);
        copy.requester = bob;
        assertEq(market.hashJobRequest(copy), market.hashJobRequest(theirs), "identical signed terms");
        assertTrue(market.jobIdOf(copy) != market.jobIdOf(theirs), "different job ids");
        uint256 copyId = open(copy, sign(market, BOB_KEY, copy));
        assertEq(uint8(market.job(copyId).status), uint8(InferenceMarket.JobStatus.Open), "the copy opened");
        uint256 aliceId = open(theirs, sign(market, ALICE_KEY, theirs));
        assertEq(uint8(market.job(aliceId).status), uint8(InferenceMarket.JobStatus.Open), "alice's job still opens");
        assertEq(market.job(aliceId).requester, alice, "and it is hers");
    }

    function test_aSignatureForAnotherChainIsRejected() public {
        InferenceMarket.OpenRequest memory r = request(alice, 1 ether, 1);
        bytes memory sig = sign(market, ALICE_KEY, r);
        uint256 idHere = market.jobIdOf(r);
        vm.chainId(block.chainid + 1);
        assertTrue(market.jobIdOf(r) != idHere, "the chain id is part of the digest");
        expectRejected(r, InferenceMarket.RejectReason.BadSignature);
        open(r, sig);
        assertEq(market.totalEscrow(), 0, "nothing opened");
    }

    function test_rejectionsAreSkippedAndTheRestOpens() public {
        InferenceMarket.OpenRequest[] memory rs = new InferenceMarket.OpenRequest[](8);
        bytes[] memory sigs = new bytes[](8);
        InferenceMarket.RejectReason[7] memory reasons;

        rs[0] = request(alice, 1 ether, 100); // expired
        rs[0].deadline = uint64(block.timestamp - 1);
        reasons[0] = InferenceMarket.RejectReason.Expired;
        rs[1] = request(alice, 1 ether, 101); // fee above the signed maximum
        rs[1].maxFee = 1 ether * FEE_BPS / 10_000 - 1;
        reasons[1] = InferenceMarket.RejectReason.FeeAboveMax;
        rs[2] = request(alice, 2_000 ether, 102); // more than the balance
        reasons[2] = InferenceMarket.RejectReason.InsufficientBalance;
        rs[3] = request(alice, 0, 103); // nothing to pay
        reasons[3] = InferenceMarket.RejectReason.ZeroReward;
        rs[4] = request(alice, 1 ether, 104); // not a field element: no circuit could prove it
        rs[4].inputCommitment = SNARK_SCALAR_FIELD;
        reasons[4] = InferenceMarket.RejectReason.OutOfField;
        rs[5] = request(bob, 1 ether, 105); // names Bob, signed by Alice: cannot spend Bob's balance
        reasons[5] = InferenceMarket.RejectReason.BadSignature;
        rs[6] = request(alice, uint256(type(uint128).max), 106);
        reasons[6] = InferenceMarket.RejectReason.RewardTooLarge;
        rs[7] = request(alice, 1 ether, 107); // valid
        for (uint256 i = 0; i < 8; ++i) {
            sigs[i] = sign(market, ALICE_KEY, rs[i]);
        }

        for (uint256 i = 0; i < 7; ++i) {
            expectRejected(rs[i], reasons[i]);
        }
        market.openJobs(rs, sigs);
        assertTrue(market.job(market.jobIdOf(rs[7])).status == InferenceMarket.JobStatus.Open, "the valid one opened");
        for (uint256 i = 0; i < 7; ++i) {
            assertTrue(market.job(market.jobIdOf(rs[i])).status == InferenceMarket.JobStatus.None, "rejected");
        }
        assertFalse(market.nonceUsed(alice, 100), "a rejected request does not burn its nonce");
        assertConserved();
    }

    function test_aCancelledNonceCannotBeOpened() public {
        InferenceMarket.OpenRequest memory r = request(alice, 1 ether, 42);
        bytes memory sig = sign(market, ALICE_KEY, r);
        uint256[] memory nonces = new uint256[](1);
        nonces[0] = 42;
        vm.prank(ADMIN);
        market.pause();
        vm.prank(alice);
        market.cancelNonces(nonces); // works while paused
        vm.prank(ADMIN);
        market.unpause();
        assertTrue(market.nonceUsed(alice, 42), "cancelled");
        expectRejected(r, InferenceMarket.RejectReason.NonceUsed);
        open(r, sig);
    }

    function test_aHighSSignatureIsRejected() public {
        InferenceMarket.OpenRequest memory r = request(alice, 1 ether, 3);
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(ALICE_KEY, market.hashJobRequest(r));
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        bytes memory malleated = abi.encodePacked(rr, bytes32(n - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        expectRejected(r, InferenceMarket.RejectReason.BadSignature);
        open(r, malleated);
    }

    function test_anERC1271WalletCanRequest() public {
        OwnedWallet wallet = new OwnedWallet(alice);
        token.mint(address(wallet), 10 ether);
        vm.startPrank(alice);
        wallet.call(address(token), abi.encodeCall(IERC20.approve, (address(market), 10 ether)));
        wallet.call(address(market), abi.encodeCall(InferenceMarket.deposit, (10 ether)));
        vm.stopPrank();

        InferenceMarket.OpenRequest memory r = request(address(wallet), 1 ether, 1);
        uint256 jobId = open(r, sign(market, ALICE_KEY, r));
        assertTrue(market.job(jobId).status == InferenceMarket.JobStatus.Open, "wallet request opened");

        InferenceMarket.OpenRequest memory r2 = request(address(wallet), 1 ether, 2);
        expectRejected(r2, InferenceMarket.RejectReason.BadSignature);
        open(r2, sign(market, BOB_KEY, r2)); // not the wallet's owner
    }

    function test_aGasBurningWalletCannotStallTheBatch() public {
        GasBurningWallet burner = new GasBurningWallet();
        token.mint(address(this), 10 ether);
        token.approve(address(market), 10 ether);
        market.depositFor(address(burner), 10 ether);
        InferenceMarket.OpenRequest[] memory rs = new InferenceMarket.OpenRequest[](2);
        bytes[] memory sigs = new bytes[](2);
        rs[0] = request(address(burner), 1 ether, 1);
        sigs[0] = hex"00";
        rs[1] = request(alice, 1 ether, 1);
        sigs[1] = sign(market, ALICE_KEY, rs[1]);
        expectRejected(rs[0], InferenceMarket.RejectReason.BadSignature);
        uint256 before = gasleft();
        market.openJobs{gas: 1_000_000}(rs, sigs);
        assertLe(before - gasleft(), 400_000, "the wallet got at most its gas cap");
        assertTrue(market.job(market.jobIdOf(rs[1])).status == InferenceMarket.JobStatus.Open, "alice opened");
    }

    function test_openJobsNeedsOneSignaturePerRequest() public {
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.LengthMismatch.selector, 1, 0));
        market.openJobs(new InferenceMarket.OpenRequest[](1), new bytes[](0));
    }

    // ------------------------------------------------------------------ recording settled batches

    function test_recordSettledBatchComesOnlyFromSettlementThroughTheMessenger() public {
        Job[] memory jobs = one(Job(1, 2, 3, 4, PROVER));
        bytes memory message = recordMessage(1, jobs);

        // A direct call, even from the L1 settlement's address (as if unaliased) or the admin.
        for (uint256 k = 0; k < 3; ++k) {
            address caller = [L1_SETTLEMENT, ADMIN, address(this)][k];
            vm.prank(caller);
            vm.expectRevert(abi.encodeWithSelector(InferenceMarket.UnauthorizedSettlement.selector, caller, address(0)));
            market.recordSettledBatch(1, keccak256(abi.encode(jobs)), 1);
        }
        // Through the messenger, but sent on L1 by someone else: the relay fails.
        assertFalse(messenger.relayMessage(address(0xE71), address(market), message), "foreign L1 sender");
        assertEq(market.settledBatch(1).hash, bytes32(0), "not recorded");
        // The settlement through the messenger: recorded.
        assertTrue(messenger.relayMessage(L1_SETTLEMENT, address(market), message), "settlement");
        assertEq(market.settledBatch(1).hash, keccak256(abi.encode(jobs)), "recorded");
        assertEq(market.settledBatch(1).jobCount, 1, "job count");
    }

    function testFuzz_recordSettledBatchRefusesAnyOtherCaller(address caller, uint256 batchId, bytes32 hash) public {
        vm.assume(caller != address(messenger));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.UnauthorizedSettlement.selector, caller, address(0)));
        market.recordSettledBatch(batchId, hash, 1);
    }

    function testFuzz_relayFromAnyOtherL1SenderFails(address l1Sender) public {
        vm.assume(l1Sender != L1_SETTLEMENT);
        assertFalse(
            messenger.relayMessage(l1Sender, address(market), recordMessage(1, one(Job(1, 2, 3, 4, PROVER)))), "relay"
        );
        assertEq(market.settledBatch(1).hash, bytes32(0), "not recorded");
    }

    function test_aBatchIdIsRecordedOnce() public {
        Job[] memory jobs = one(Job(1, 2, 3, 4, PROVER));
        assertTrue(messenger.relayMessage(L1_SETTLEMENT, address(market), recordMessage(9, jobs)), "first");
        Job[] memory other = one(Job(1, 2, 3, 5, PROVER));
        assertFalse(messenger.relayMessage(L1_SETTLEMENT, address(market), recordMessage(9, other)), "second");
        assertEq(market.settledBatch(9).hash, keccak256(abi.encode(jobs)), "first hash kept");
    }

    function test_theL1SettlementIsSetOnceByTheAdmin() public {
        InferenceMarket m = new InferenceMarket(
            IERC20(address(token)), ICrossDomainMessenger(address(messenger)), TREASURY, FEE_BPS, REFUND_DELAY, ADMIN, poseidon
        );
        // Unset: nothing can be recorded, even through the messenger "from" the zero address.
        assertFalse(
            messenger.relayMessage(address(0), address(m), recordMessage(1, one(Job(1, 2, 3, 4, PROVER)))), "unset"
        );
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        m.setL1Settlement(L1_SETTLEMENT);
        vm.startPrank(ADMIN);
        m.setL1Settlement(L1_SETTLEMENT);
        vm.expectRevert(InferenceMarket.L1SettlementAlreadySet.selector);
        m.setL1Settlement(address(0xE71));
        vm.stopPrank();
        assertEq(m.l1Settlement(), L1_SETTLEMENT, "set once");
    }

    // ------------------------------------------------------------------ release

    function openAlice(uint256 nonce) internal returns (InferenceMarket.OpenRequest memory r) {
        r = request(alice, 10 ether, nonce);
        open(r, sign(market, ALICE_KEY, r));
    }

    function test_releasePaysTheProverAndTheTreasury() public {
        InferenceMarket.OpenRequest memory r1 = openAlice(1);
        InferenceMarket.OpenRequest memory r2 = openAlice(2);
        Job[] memory jobs = new Job[](2);
        jobs[0] = settledJob(r1, PROVER);
        jobs[1] = settledJob(r2, address(0x9401));
        uint256 fee = 10 ether * FEE_BPS / 10_000;
        uint256 batchId = record(jobs);
        vm.expectEmit(true, true, true, true, address(market));
        emit InferenceMarket.JobReleased(jobs[0].jobId, PROVER, 1, jobs[0].outputCommitment, 10 ether, fee);
        market.releaseBatch(batchId, jobs);

        assertEq(token.balanceOf(PROVER), 10 ether, "prover 1 paid");
        assertEq(token.balanceOf(address(0x9401)), 10 ether, "prover 2 paid");
        assertEq(token.balanceOf(TREASURY), 2 * fee, "fees");
        InferenceMarket.MarketJob memory j = market.job(jobs[0].jobId);
        assertTrue(j.status == InferenceMarket.JobStatus.Released, "released");
        assertEq(j.prover, PROVER, "prover recorded");
        assertEq(j.outputCommitment, jobs[0].outputCommitment, "output recorded");
        assertEq(market.totalEscrow(), 0, "escrow emptied");
        assertTrue(market.settledBatch(1).released, "batch released");
        assertConserved();
    }

    function test_releaseNeedsTheExactJobsOfARecordedBatch() public {
        InferenceMarket.OpenRequest memory r = openAlice(1);
        Job[] memory jobs = one(settledJob(r, PROVER));
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.BatchNotRecorded.selector, 1));
        market.releaseBatch(1, jobs);

        assertTrue(messenger.relayMessage(L1_SETTLEMENT, address(market), recordMessage(1, jobs)), "record");
        // Another prover, or another output, than L1 verified.
        Job[] memory stolen = one(settledJob(r, address(0xBAD)));
        bytes32 expected = keccak256(abi.encode(jobs));
        vm.expectRevert(
            abi.encodeWithSelector(
                InferenceMarket.BatchHashMismatch.selector, 1, expected, keccak256(abi.encode(stolen))
            )
        );
        market.releaseBatch(1, stolen);
        // An extra job appended.
        Job[] memory longer = new Job[](2);
        (longer[0], longer[1]) = (jobs[0], jobs[0]);
        vm.expectRevert(
            abi.encodeWithSelector(
                InferenceMarket.BatchHashMismatch.selector, 1, expected, keccak256(abi.encode(longer))
            )
        );
        market.releaseBatch(1, longer);

        market.releaseBatch(1, jobs);
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.BatchAlreadyReleased.selector, 1));
        market.releaseBatch(1, jobs);
        assertEq(token.balanceOf(PROVER), 10 ether, "paid once");
    }

    function test_aReleasedJobIsSkippedInLaterBatchesAndPaidOnce() public {
        InferenceMarket.OpenRequest memory r = openAlice(1);
        Job memory job = settledJob(r, PROVER);
        // Twice in one batch, then again in the next batch (L1 accepts duplicates: each is a valid proof).
        Job[] memory twice = new Job[](2);
        (twice[0], twice[1]) = (job, job);
        uint256 batchId = record(twice);
        vm.expectEmit(true, false, false, true, address(market));
        emit InferenceMarket.JobReleaseSkipped(job.jobId, InferenceMarket.SkipReason.NotOpen);
        market.releaseBatch(batchId, twice);
        // A later batch naming another prover for the same job (a second valid proof) pays nobody.
        job.prover = address(0x9401);
        batchId = record(one(job));
        vm.expectEmit(true, false, false, true, address(market));
        emit InferenceMarket.JobReleaseSkipped(job.jobId, InferenceMarket.SkipReason.NotOpen);
        market.releaseBatch(batchId, one(job));
        assertEq(token.balanceOf(PROVER), 10 ether, "paid once");
        assertEq(token.balanceOf(address(0x9401)), 0, "second prover not paid");
        assertEq(token.balanceOf(TREASURY), 10 ether * FEE_BPS / 10_000, "fee once");
        assertConserved();
    }

    function test_aRefundedJobIsSkipped() public {
        InferenceMarket.OpenRequest memory r = openAlice(1);
        uint256 jobId = market.jobIdOf(r);
        vm.warp(r.deadline + REFUND_DELAY + 1);
        market.refund(jobId);
        Job[] memory jobs = one(settledJob(r, PROVER));
        uint256 batchId = record(jobs);
        vm.expectEmit(true, false, false, true, address(market));
        emit InferenceMarket.JobReleaseSkipped(jobId, InferenceMarket.SkipReason.NotOpen);
        market.releaseBatch(batchId, jobs);
        assertEq(token.balanceOf(PROVER), 0, "not paid");
        assertEq(market.balances(alice), 1_000 ether, "alice refunded in full");
        assertConserved();
    }

    function test_aProofForOtherTermsThanSignedIsSkipped() public {
        // L1 verified a proof for whatever (modelId, inputCommitment) the settler supplied: only L2 knows what the
        // requester signed. A proof of another model, or of another input, for this job id earns nothing.
        InferenceMarket.OpenRequest memory r = openAlice(1);
        Job memory otherModel = settledJob(r, PROVER);
        otherModel.modelId = r.modelId + 1;
        Job memory otherInput = settledJob(r, PROVER);
        otherInput.inputCommitment = r.inputCommitment + 1;
        Job[] memory jobs = new Job[](2);
        (jobs[0], jobs[1]) = (otherModel, otherInput);
        uint256 batchId = record(jobs);
        vm.expectEmit(true, false, false, true, address(market));
        emit InferenceMarket.JobReleaseSkipped(otherModel.jobId, InferenceMarket.SkipReason.TermsMismatch);
        vm.expectEmit(true, false, false, true, address(market));
        emit InferenceMarket.JobReleaseSkipped(otherInput.jobId, InferenceMarket.SkipReason.TermsMismatch);
        market.releaseBatch(batchId, jobs);
        assertEq(token.balanceOf(PROVER), 0, "not paid");
        assertTrue(market.job(otherModel.jobId).status == InferenceMarket.JobStatus.Open, "still open");
        // The right proof still gets paid afterwards.
        settle(one(settledJob(r, PROVER)));
        assertEq(token.balanceOf(PROVER), 10 ether, "paid");
    }

    function test_aJobNeverOpenedIsSkipped() public {
        Job[] memory ghost = one(Job(77, 1, 2, 12345, PROVER));
        uint256 batchId = record(ghost);
        vm.expectEmit(true, false, false, true, address(market));
        emit InferenceMarket.JobReleaseSkipped(12345, InferenceMarket.SkipReason.NotOpen);
        market.releaseBatch(batchId, ghost);
        assertEq(token.balanceOf(PROVER), 0, "nothing paid");
    }

    // ------------------------------------------------------------------ refunds

    function test_refundOnlyAfterDeadlinePlusDelay() public {
        InferenceMarket.OpenRequest memory r = openAlice(1);
        uint256 jobId = market.jobIdOf(r);
        uint256 allowedAfter = r.deadline + REFUND_DELAY;
        vm.warp(r.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.RefundTooEarly.selector, jobId, allowedAfter));
        market.refund(jobId);
        vm.warp(allowedAfter);
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.RefundTooEarly.selector, jobId, allowedAfter));
        market.refund(jobId);
        vm.warp(allowedAfter + 1);
        vm.prank(ADMIN);
        market.pause(); // refunds are never paused
        vm.prank(address(0x5747));
        market.refund(jobId); // anyone may trigger it; the money goes to the requester
        assertEq(market.balances(alice), 1_000 ether, "refunded");
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.JobNotOpen.selector, jobId));
        market.refund(jobId);
        assertConserved();
    }

    function test_aReleasedJobCannotBeRefunded() public {
        InferenceMarket.OpenRequest memory r = openAlice(1);
        settle(one(settledJob(r, PROVER)));
        uint256 jobId = market.jobIdOf(r);
        vm.warp(r.deadline + REFUND_DELAY + 1);
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.JobNotOpen.selector, jobId));
        market.refund(jobId);
    }

    // ------------------------------------------------------------------ pause and admin

    function test_pausedRecordFailsAndTheMessageReplaysAfterUnpause() public {
        InferenceMarket.OpenRequest memory r = openAlice(1);
        Job[] memory jobs = one(settledJob(r, PROVER));
        bytes memory message = recordMessage(1, jobs);
        vm.prank(ADMIN);
        market.pause();
        assertFalse(messenger.relayMessage(L1_SETTLEMENT, address(market), message), "fails while paused");
        assertTrue(messenger.failedMessages(keccak256(abi.encode(L1_SETTLEMENT, address(market), message))), "kept");
        vm.expectRevert(Pausable.EnforcedPause.selector);
        market.releaseBatch(1, jobs);

        vm.prank(ADMIN);
        market.unpause();
        assertTrue(messenger.replayMessage(L1_SETTLEMENT, address(market), message), "replayed after unpause");
        market.releaseBatch(1, jobs);
        assertEq(token.balanceOf(PROVER), 10 ether, "paid");
        vm.expectRevert("message cannot be replayed");
        messenger.replayMessage(L1_SETTLEMENT, address(market), message);
    }

    function test_pauseStopsOpeningAndDepositsButNeverWithdrawals() public {
        vm.prank(ADMIN);
        market.pause();
        InferenceMarket.OpenRequest memory r = request(alice, 1 ether, 1);
        bytes memory sig = sign(market, ALICE_KEY, r);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        open(r, sig);
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        market.deposit(1);
        vm.prank(alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        market.depositFor(bob, 1);
        vm.prank(alice);
        market.withdraw(1 ether);
        assertEq(token.balanceOf(alice), 1 ether, "withdrawn while paused");
    }

    function test_adminBounds() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        market.setFeeBps(1);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(this)));
        market.pause();
        vm.startPrank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.FeeTooHigh.selector, 1001));
        market.setFeeBps(1001);
        market.setFeeBps(1000);
        vm.expectRevert(InferenceMarket.ZeroAddress.selector);
        market.setTreasury(address(0));
        market.setTreasury(address(0x7EA6));
        vm.stopPrank();
        vm.prank(ADMIN);
        vm.expectRevert(InferenceMarket.RenounceDisabled.selector);
        market.renounceOwnership();
        assertEq(market.feeBps(), 1000, "fee");
        assertEq(market.treasury(), address(0x7EA6), "treasury");
    }

    /// @dev L2 gas figures, to size the release message's gas limit and the sequencer's batches (-vv to see them).
    function test_gasOnL2() public {
        uint256 n = 8;
        InferenceMarket.OpenRequest[] memory rs = new InferenceMarket.OpenRequest[](n);
        bytes[] memory sigs = new bytes[](n);
        Job[] memory jobs = new Job[](n);
        for (uint256 i = 0; i < n; ++i) {
            rs[i] = request(i % 2 == 0 ? alice : bob, 1 ether, i);
            sigs[i] = sign(market, i % 2 == 0 ? ALICE_KEY : BOB_KEY, rs[i]);
            jobs[i] = settledJob(rs[i], address(uint160(0x9400 + i)));
        }
        uint256 before = gasleft();
        market.openJobs(rs, sigs);
        log("[gas] L2 openJobs per request (8 requests)", (before - gasleft()) / n);

        // The market's own share of the message's L2 gas (the L2 messenger adds its relay overhead on top).
        FixedSenderMessenger fixedSender = new FixedSenderMessenger(L1_SETTLEMENT);
        InferenceMarket other = new InferenceMarket(
            IERC20(address(token)), ICrossDomainMessenger(address(fixedSender)), TREASURY, FEE_BPS, REFUND_DELAY, ADMIN, poseidon
        );
        vm.prank(ADMIN);
        other.setL1Settlement(L1_SETTLEMENT);
        bytes memory message = recordMessage(1, jobs);
        vm.cool(address(other));
        before = gasleft();
        fixedSender.relay(address(other), message);
        log("[gas] L2 recordSettledBatch (market's share of the message)", before - gasleft());

        assertTrue(messenger.relayMessage(L1_SETTLEMENT, address(market), message), "relay");
        before = gasleft();
        market.releaseBatch(1, jobs);
        log("[gas] L2 releaseBatch per job (8 jobs)", (before - gasleft()) / n);
    }

    function testFuzz_openReleaseRefundConserve(uint96 reward, uint16 bps, uint8 releasedMask) public {
        bps = uint16(bound(bps, 0, 1000));
        reward = uint96(bound(reward, 1, 100 ether));
        vm.prank(ADMIN);
        market.setFeeBps(bps);
        InferenceMarket.OpenRequest[] memory rs = new InferenceMarket.OpenRequest[](4);
        for (uint256 i = 0; i < 4; ++i) {
            rs[i] = request(alice, reward, i);
            open(rs[i], sign(market, ALICE_KEY, rs[i]));
            assertConserved();
        }
        uint256 paid = 0;
        for (uint256 i = 0; i < 4; ++i) {
            if ((releasedMask >> i) & 1 == 1) {
                settle(one(settledJob(rs[i], PROVER)));
                paid += reward;
            }
            assertConserved();
        }
        vm.warp(block.timestamp + 2 days);
        for (uint256 i = 0; i < 4; ++i) {
            if ((releasedMask >> i) & 1 == 0) market.refund(market.jobIdOf(rs[i]));
        }
        assertConserved();
        assertEq(token.balanceOf(PROVER), paid, "provers paid exactly the released rewards");
        assertEq(market.totalEscrow(), 0, "no escrow left");
    }
}
