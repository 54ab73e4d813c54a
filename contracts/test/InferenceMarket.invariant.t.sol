// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Job, SNARK_SCALAR_FIELD} from "../src/common/Job.sol";
import {InferenceMarket} from "../src/l2/InferenceMarket.sol";
import {PoseidonT6} from "../src/l2/generated/PoseidonT6.sol";
import {MockL2Messenger, MockVTY, aliasOf} from "./utils/Mocks.sol";
import {TestBase} from "./utils/Vm.sol";
import {MarketFixture} from "./InferenceMarket.t.sol";

/// @notice Drives the market through random sequences of deposit / open / record + release / refund / withdraw /
///         cancel / fee change / pause, signing requests with vm.sign and playing the L2 messenger. It keeps its own
///         model of every balance, every job and every payment, and flags any difference from the contract.
contract MarketHandler is TestBase {
    struct Terms {
        address requester;
        uint256 reward;
        uint256 fee;
        uint256 modelId;
        uint256 inputCommitment;
        uint64 deadline;
        bool open;
    }

    InferenceMarket public immutable market;
    MockVTY public immutable token;
    MockL2Messenger public immutable messenger;
    address public immutable l1Settlement;
    address public immutable treasury;

    uint256[3] internal keys = [uint256(0xA11CE), 0xB0B, 0xCA401];
    address[3] public provers = [address(0x9400), address(0x9401), address(0x9402)];

    // The handler's own model of the market.
    mapping(address => uint256) public ghostBalance;
    uint256 public ghostEscrow;
    uint256[] public jobIds;
    mapping(uint256 => Terms) public terms;
    mapping(uint256 => uint256) public releaseCount;
    mapping(address => uint256) public ghostPaidTo;
    uint256 public ghostPaidToProvers;
    uint256 public ghostFees;
    mapping(address => mapping(uint256 => bool)) internal usedNonce;
    uint256 internal nextNonce;
    uint256 internal nextBatchId = 1;

    /// @notice Set when the contract did something the model says it should not have; checked by an invariant.
    string public mismatch;
    uint256 public calls;

    constructor(InferenceMarket market_, MockVTY token_, MockL2Messenger messenger_, address l1Settlement_) {
        market = market_;
        token = token_;
        messenger = messenger_;
        l1Settlement = l1Settlement_;
        treasury = market_.treasury();
    }

    function actor(uint256 seed) public view returns (address) {
        return vm.addr(keys[seed % keys.length]);
    }

    function actorCount() external view returns (uint256) {
        return keys.length;
    }

    function jobCount() external view returns (uint256) {
        return jobIds.length;
    }

    function flag(string memory what) internal {
        if (bytes(mismatch).length == 0) mismatch = what;
    }

    // ------------------------------------------------------------------ actions

    function deposit(uint256 actorSeed, uint256 amount) external {
        address a = actor(actorSeed);
        amount = bound(amount, 1, 100 ether);
        token.mint(a, amount);
        // One-shot pranks: a prank left active by a reverted call would outlive the revert (cheatcode state is not
        // rolled back) and break every later call.
        vm.prank(a);
        token.approve(address(market), amount);
        vm.prank(a);
        market.deposit(amount); // reverts while paused: the whole call is then discarded
        ghostBalance[a] += amount;
        ++calls;
    }

    function withdraw(uint256 actorSeed, uint256 amount) external {
        address a = actor(actorSeed);
        if (ghostBalance[a] == 0) return;
        amount = bound(amount, 1, ghostBalance[a]);
        vm.prank(a);
        try market.withdraw(amount) {
            ghostBalance[a] -= amount;
        } catch {
            flag("withdraw of a covered amount reverted (withdrawals are never paused)");
        }
        ++calls;
    }

    /// @param kind 0-5 valid, 6 expired, 7 replay of a used nonce, 8 signed by another key, 9 fee above max.
    function open(uint256 actorSeed, uint256 reward, uint256 kind, uint256 count) external {
        count = bound(count, 1, 4);
        InferenceMarket.OpenRequest[] memory rs = new InferenceMarket.OpenRequest[](count);
        bytes[] memory sigs = new bytes[](count);
        bool[] memory expectOpen = new bool[](count);
        for (uint256 i = 0; i < count; ++i) {
            (rs[i], sigs[i], expectOpen[i]) = _request((kind + i) % 10, (actorSeed + i) % keys.length, reward, i);
        }
        market.openJobs(rs, sigs);
        for (uint256 i = 0; i < count; ++i) {
            InferenceMarket.MarketJob memory j = market.job(market.jobIdOf(rs[i]));
            bool openedNow = j.status == InferenceMarket.JobStatus.Open && j.requester == rs[i].requester
                && j.deadline == rs[i].deadline && j.reward == rs[i].reward;
            if (expectOpen[i] && !openedNow) flag("a valid request was not opened");
            if (!expectOpen[i] && openedNow && terms[market.jobIdOf(rs[i])].requester == address(0)) {
                flag("an invalid request was opened");
            }
        }
        ++calls;
    }

    /// @dev One signed request of the given kind, and whether the model expects it to open (updating the model).
    function _request(uint256 kind, uint256 keyIndex, uint256 reward, uint256 i)
        internal
        returns (InferenceMarket.OpenRequest memory rq, bytes memory sig, bool ok)
    {
        uint256 feeBps = market.feeBps();
        address a = vm.addr(keys[keyIndex]);
        uint256 r = bound(uint256(keccak256(abi.encode(reward, i))), 1, 20 ether);
        uint256 nonce = kind == 7 && nextNonce > 0 ? nextNonce - 1 : nextNonce++;
        uint256 fee = (r * feeBps) / 10_000;
        rq = InferenceMarket.OpenRequest({
            modelId: 1 + (nonce % 3),
            inputCommitment: uint256(keccak256(abi.encode("in", nonce))) % SNARK_SCALAR_FIELD,
            reward: r,
            maxFee: kind == 9 && fee > 0 ? fee - 1 : r,
            deadline: uint64(kind == 6 ? block.timestamp - 1 : block.timestamp + 1 days),
            nonce: nonce,
            requester: a
        });
        sig = _sign(kind == 8 ? keys[(keyIndex + 1) % keys.length] : keys[keyIndex], rq);
        // What the model expects, from its own state only.
        ok = kind != 6 && !(kind == 9 && fee > 0) && kind != 8 && !usedNonce[a][nonce] && ghostBalance[a] >= r + fee;
        uint256 jobId = market.jobIdOf(rq);
        if (terms[jobId].requester != address(0)) ok = false;
        if (ok) {
            usedNonce[a][nonce] = true;
            ghostBalance[a] -= r + fee;
            ghostEscrow += r + fee;
            terms[jobId] = Terms(a, r, fee, rq.modelId, rq.inputCommitment, rq.deadline, true);
            jobIds.push(jobId);
        }
    }

    function _sign(uint256 key, InferenceMarket.OpenRequest memory rq) internal view returns (bytes memory) {
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(key, market.hashJobRequest(rq));
        return abi.encodePacked(rr, s, v);
    }

    function cancel(uint256 actorSeed) external {
        address a = actor(actorSeed);
        uint256[] memory nonces = new uint256[](1);
        nonces[0] = nextNonce++;
        vm.prank(a);
        market.cancelNonces(nonces);
        usedNonce[a][nonces[0]] = true;
        ++calls;
    }

    /// @notice Records a batch through the messenger (as L1 settlement) and releases it: random known jobs in any
    ///         status, duplicates allowed, sometimes with terms other than signed, and random provers.
    function settle(uint256 seed, uint256 count) external {
        if (jobIds.length == 0) return;
        count = bound(count, 1, 6);
        Job[] memory jobs = new Job[](count);
        for (uint256 i = 0; i < count; ++i) {
            uint256 h = uint256(keccak256(abi.encode(seed, i)));
            uint256 jobId = jobIds[h % jobIds.length];
            Terms memory t = terms[jobId];
            uint256 input = (h >> 64) % 7 == 0 ? t.inputCommitment ^ 1 : t.inputCommitment;
            jobs[i] = Job(t.modelId, input, h % SNARK_SCALAR_FIELD, jobId, provers[(h >> 128) % provers.length]);
        }
        uint256 batchId = nextBatchId;
        bytes memory message =
            abi.encodeCall(InferenceMarket.recordSettledBatch, (batchId, keccak256(abi.encode(jobs)), count));
        if (!messenger.relayMessage(l1Settlement, address(market), message)) return; // paused: the message waits
        ++nextBatchId;
        market.releaseBatch(batchId, jobs); // reverts while paused: call discarded, the recording with it

        for (uint256 i = 0; i < count; ++i) {
            Terms storage t = terms[jobs[i].jobId];
            bool payable_ = t.open && jobs[i].inputCommitment == t.inputCommitment && jobs[i].modelId == t.modelId;
            if (!payable_) continue;
            t.open = false;
            ++releaseCount[jobs[i].jobId];
            ghostEscrow -= t.reward + t.fee;
            ghostPaidTo[jobs[i].prover] += t.reward;
            ghostPaidToProvers += t.reward;
            ghostFees += t.fee;
        }
        ++calls;
    }

    /// @notice Records a proven batch (one batch proof on L1) by a deposit from the settlement and releases it: random known jobs
    ///         (duplicates allowed) of one prover, random outputs, the batch's model taken from its first job, the
    ///         hash computed as the batch circuit would over the market's own records.
    function settleProven(uint256 seed, uint256 count) external {
        if (jobIds.length == 0) return;
        count = bound(count, 1, 6);
        address prover = provers[seed % provers.length];
        InferenceMarket.ProvenJob[] memory jobs = new InferenceMarket.ProvenJob[](count);
        uint256[] memory words = new uint256[](4 * count);
        for (uint256 i = 0; i < count; ++i) {
            uint256 h = uint256(keccak256(abi.encode("proven", seed, i)));
            uint256 jobId = jobIds[h % jobIds.length];
            jobs[i] = InferenceMarket.ProvenJob(jobId, prover, (h >> 8) % SNARK_SCALAR_FIELD);
            words[4 * i] = jobId;
            words[4 * i + 1] = uint160(prover);
            words[4 * i + 2] = market.job(jobId).inputCommitment;
            words[4 * i + 3] = jobs[i].outputCommitment;
        }
        uint256 modelId = terms[jobs[0].jobId].modelId;
        uint256 batchId = nextBatchId;
        // A deposit from the settlement's aliased address: recorded even while paused (a deposit is not retried).
        vm.prank(aliasOf(l1Settlement));
        market.recordProvenBatch(batchId, modelId, market.poseidon().chain(words), count);
        ++nextBatchId;
        if (market.paused()) return; // the release waits for the unpause
        market.releaseProvenBatch(batchId, jobs);

        for (uint256 i = 0; i < count; ++i) {
            Terms storage t = terms[jobs[i].jobId];
            if (!t.open || t.modelId != modelId) continue;
            t.open = false;
            ++releaseCount[jobs[i].jobId];
            ghostEscrow -= t.reward + t.fee;
            ghostPaidTo[prover] += t.reward;
            ghostPaidToProvers += t.reward;
            ghostFees += t.fee;
        }
        // The same record delivered again (a resent deposit) changes nothing, and never opens a second release.
        vm.prank(aliasOf(l1Settlement));
        market.recordProvenBatch(batchId, modelId, market.poseidon().chain(words), count);
        try market.releaseProvenBatch(batchId, jobs) {
            flag("a proven batch was released twice");
        } catch {}
        ++calls;
    }

    function refund(uint256 jobSeed) external {
        if (jobIds.length == 0) return;
        uint256 jobId = jobIds[jobSeed % jobIds.length];
        Terms storage t = terms[jobId];
        bool due = t.open && block.timestamp > uint256(t.deadline) + market.refundDelay();
        try market.refund(jobId) {
            if (!due) flag("refund succeeded when not due");
            t.open = false;
            ghostEscrow -= t.reward + t.fee;
            ghostBalance[t.requester] += t.reward + t.fee;
        } catch {
            if (due) flag("a due refund reverted (refunds are never paused)");
        }
        ++calls;
    }

    function warp(uint256 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 2 days));
    }

    /// @dev The handler owns the market (the test hands it ownership) and plays the admin.
    function setFee(uint256 bps) external {
        market.setFeeBps(bound(bps, 0, 1000));
    }

    function togglePause(uint256 seed) external {
        if (seed % 4 != 0) return; // rarely: most sequences should make progress
        if (market.paused()) market.unpause();
        else market.pause();
    }
}

/// @notice Invariants of the market over random call sequences: escrow conservation (checked three independent ways)
///         and no job paid twice.
contract InferenceMarketInvariantTest is MarketFixture {
    MarketHandler internal handler;

    function setUp() public {
        token = new MockVTY();
        messenger = new MockL2Messenger();
        poseidon = new PoseidonT6();
        market = newMarket();
        handler = new MarketHandler(market, token, messenger, L1_SETTLEMENT);
        // The handler acts as the admin for fee changes and pauses.
        vm.prank(ADMIN);
        market.transferOwnership(address(handler));
        vm.prank(address(handler));
        market.acceptOwnership();
    }

    /// @notice Only the handler is called (forge reads this like forge-std's StdInvariant).
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function invariant_escrowConservation() public view {
        uint256 held = token.balanceOf(address(market));
        assertEq(held, market.totalBalances() + market.totalEscrow(), "balance == totalBalances + totalEscrow");

        // Recomputed from the state itself, not from the running totals.
        uint256 balances = 0;
        for (uint256 i = 0; i < handler.actorCount(); ++i) {
            balances += market.balances(handler.actor(i));
        }
        uint256 escrow = 0;
        for (uint256 i = 0; i < handler.jobCount(); ++i) {
            InferenceMarket.MarketJob memory j = market.job(handler.jobIds(i));
            if (j.status == InferenceMarket.JobStatus.Open) escrow += uint256(j.reward) + j.fee;
        }
        assertEq(held, balances + escrow, "balance == sum of balances + sum of open escrow");
        assertEq(balances, market.totalBalances(), "sum of balances");
        assertEq(escrow, market.totalEscrow(), "sum of open escrow");

        // And from the handler's own model of every call.
        uint256 ghostBalances = 0;
        for (uint256 i = 0; i < handler.actorCount(); ++i) {
            ghostBalances += handler.ghostBalance(handler.actor(i));
        }
        assertEq(held, ghostBalances + handler.ghostEscrow(), "balance == model balances + model escrow");
    }

    function invariant_noJobPaidTwice() public view {
        uint256 paid = 0;
        for (uint256 p = 0; p < 3; ++p) {
            address prover = handler.provers(p);
            assertEq(
                token.balanceOf(prover), handler.ghostPaidTo(prover), "each prover got exactly its released rewards"
            );
            paid += token.balanceOf(prover);
        }
        assertEq(paid, handler.ghostPaidToProvers(), "provers: sum over released jobs");
        assertEq(token.balanceOf(market.treasury()), handler.ghostFees(), "treasury: sum of released fees");
        for (uint256 i = 0; i < handler.jobCount(); ++i) {
            assertLe(handler.releaseCount(handler.jobIds(i)), 1, "released at most once");
        }
    }

    function invariant_modelAgrees() public view {
        assertEq(bytes(handler.mismatch()).length, 0, handler.mismatch());
    }
}
