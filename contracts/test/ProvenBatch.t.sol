// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICrossDomainMessenger, ISettledBatchReceiver} from "../src/common/ICrossDomainMessenger.sol";
import {Job} from "../src/common/Job.sol";
import {BN254_P, Proof, VerifyingKey} from "../src/l1/Groth16.sol";
import {InferenceSettlement} from "../src/l1/InferenceSettlement.sol";
import {ModelRegistry} from "../src/l1/ModelRegistry.sol";
import {InferenceMarket} from "../src/l2/InferenceMarket.sol";
import {FlowFixture} from "./utils/FlowFixture.sol";
import {MockL1Messenger, aliasOf} from "./utils/Mocks.sol";

/// @notice The batch-proof path with a real batch proof (the e2e suite proves the 4 flow jobs, served by one prover,
///         in one batch circuit of 8 slots): batch keys in the registry, one verification on L1 for the whole batch,
///         and the L2 market recomputing the batch's Poseidon hash from its own records before paying. Each attack
///         below must fail: another count, another hash, a malformed or swapped proof, a key no one vouched for,
///         jobs named out of order or with another output, a job that was never opened, a second release.
contract ProvenBatchTest is FlowFixture {
    address internal constant MALLORY = address(0xBAD);

    uint256 internal size;
    uint256 internal count;
    uint256 internal hash;
    address internal prover;

    function setUp() public {
        if (!loadFixtures()) return;
        size = vm.parseJsonUint(fixtures, ".batch.size");
        count = vm.parseJsonUint(fixtures, ".batch.count");
        hash = vm.parseJsonUint(fixtures, ".batch.hash");
        prover = vm.parseJsonAddress(fixtures, ".batch.prover");
        deployFlow();
        registry.registerBatchKey(modelId(0), size, batchKey(), batchCircuitSha256());
        // The key becomes usable the registry's deactivation delay (1 day here) after registration.
        vm.warp(block.timestamp + 1 days);
    }

    // ------------------------------------------------------------ fixtures

    /// @dev The batch's jobs in the proof's order, as a releaser names them.
    function provenJobs() internal view returns (InferenceMarket.ProvenJob[] memory jobs) {
        uint256[] memory ids = vm.parseJsonUintArray(fixtures, ".batch.jobIds");
        uint256[] memory outs = vm.parseJsonUintArray(fixtures, ".batch.outputCommitments");
        jobs = new InferenceMarket.ProvenJob[](ids.length);
        for (uint256 i = 0; i < ids.length; ++i) {
            jobs[i] = InferenceMarket.ProvenJob(ids[i], prover, outs[i]);
        }
    }

    /// @dev Opens flow requests `from`..`to` (exclusive) on the market, signed by alice.
    function openFlowJobs(uint256 from, uint256 to) internal {
        InferenceMarket.OpenRequest[] memory requests = new InferenceMarket.OpenRequest[](to - from);
        bytes[] memory sigs = new bytes[](to - from);
        for (uint256 i = from; i < to; ++i) {
            (Job memory job,) = provenJob(".flowJobs", i);
            requests[i - from] = flowRequest(i, job.modelId, job.inputCommitment);
            sigs[i - from] = signRequest(requests[i - from]);
        }
        market.openJobs(requests, sigs);
    }

    function settle() internal returns (uint256) {
        return settlement.settleProvenBatch(modelId(0), size, count, hash, batchProof());
    }

    // ------------------------------------------------------------ registry

    function test_registry_storesTheBatchKeyOncePerSizeForThePublisherOnly() public {
        (address keyData, bool active,) = registry.batchKeyDataOf(modelId(0), size);
        assertTrue(keyData != address(0) && active, "registered and active");
        (keyData,,) = registry.batchKeyDataOf(modelId(0), size * 2);
        assertEq(keyData, address(0), "no key for another size");

        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.BatchKeyAlreadyRegistered.selector, modelId(0), size));
        registry.registerBatchKey(modelId(0), size, batchKey(), batchCircuitSha256());
        vm.prank(MALLORY);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.NotPublisher.selector, modelId(0), MALLORY));
        registry.registerBatchKey(modelId(0), size * 2, batchKey(), batchCircuitSha256());
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.ModelNotRegistered.selector, modelId(1)));
        registry.registerBatchKey(modelId(1), size, batchKey(), batchCircuitSha256());
        for (uint256 bad = 0; bad < 2; ++bad) {
            uint256 k = bad == 0 ? 0 : registry.MAX_BATCH_SIZE() + 1;
            vm.expectRevert(abi.encodeWithSelector(ModelRegistry.BatchSizeOutOfRange.selector, k));
            registry.registerBatchKey(modelId(0), k, batchKey(), batchCircuitSha256());
        }
    }

    function test_registry_refusesAModelKeyAndAKeyWithoutPhase2AsBatchKeys() public {
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.WrongIcCount.selector, 6));
        registry.registerBatchKey(modelId(0), 2, verifyingKey(0), batchCircuitSha256());
        VerifyingKey memory weak = batchKey();
        weak.delta2 = weak.gamma2; // what a key straight out of newZKey has: anyone could forge
        vm.expectRevert(ModelRegistry.DeltaEqualsGamma.selector);
        registry.registerBatchKey(modelId(0), 2, weak, batchCircuitSha256());
        VerifyingKey memory offCurve = batchKey();
        offCurve.ic[3].y = offCurve.ic[3].y ^ 1;
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.MalformedPoint.selector, "ic3"));
        registry.registerBatchKey(modelId(0), 2, offCurve, batchCircuitSha256());
    }

    // ------------------------------------------------------------ L1 settlement

    function test_settle_verifiesOnceAndSendsTheHashToL2() public {
        (uint256 id, Proof memory proof) = (modelId(0), batchProof());
        uint256 gasBefore = gasleft();
        uint256 batchId = settlement.settleProvenBatch(id, size, count, hash, proof);
        uint256 used = gasBefore - gasleft();
        log(string.concat("[gas] settleProvenBatch execution (mock messenger storing the message), K=", vm.toString(size), ", jobs=", vm.toString(count)), used);
        assertEq(batchId, 1, "first batch");
        assertEq(l1Messenger.sentCount(), 1, "one deposit");
        MockL1Messenger.Sent memory sent = l1Messenger.sent(0);
        assertTrue(sent.deposit, "a portal deposit, not a messenger message");
        assertEq(sent.target, address(market), "to the market");
        assertEq(sent.minGasLimit, 150_000, "with the record's L2 gas");
        assertEq(
            keccak256(sent.message),
            keccak256(abi.encodeCall(ISettledBatchReceiver.recordProvenBatch, (batchId, modelId(0), hash, count))),
            "the deposit names the batch, its model, hash and count"
        );
        assertEq(
            settlement.provenBatchRecord(batchId), keccak256(abi.encode(modelId(0), hash, count)), "kept for a resend"
        );
        assertTrue(relayLast(), "the deposit records it within its gas limit");
        assertEq(market.provenBatch(batchId).jobCount, count, "recorded");
    }

    function test_settle_aLostRecordCanBeResentAndRecordsOnce() public {
        uint256 batchId = settlement.settleProvenBatch(modelId(0), size, count, hash, batchProof());
        // The first deposit never lands (say, out of gas on L2): anyone sends the same record again from L1.
        uint64 gas = settlement.PROVEN_RECORD_GAS_LIMIT();
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.ProvenBatchUnknown.selector, batchId));
        settlement.resendProvenBatch(batchId, modelId(0), hash ^ 1, count, gas);
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.ProvenBatchUnknown.selector, batchId + 1));
        settlement.resendProvenBatch(batchId + 1, modelId(0), hash, count, gas);
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.RecordGasTooLow.selector, gas - 1, gas));
        settlement.resendProvenBatch(batchId, modelId(0), hash, count, gas - 1);
        vm.prank(MALLORY);
        settlement.resendProvenBatch(batchId, modelId(0), hash, count, 2 * gas);
        assertEq(l1Messenger.sentCount(), 2, "deposited again");
        assertEq(l1Messenger.sent(1).minGasLimit, 2 * gas, "with the L2 gas the resender paid for");
        assertTrue(relayLast(), "recorded");
        assertTrue(relayLast(), "the same record again is a no-op");
        assertEq(market.provenBatch(batchId).hash, hash, "recorded once");
    }

    function test_flow_theSameRecordAfterTheReleaseChangesNothing() public {
        openFlowJobs(0, count);
        uint256 batchId = settle();
        assertTrue(relayLast(), "recorded");
        market.releaseProvenBatch(batchId, provenJobs());
        settlement.resendProvenBatch(batchId, modelId(0), hash, count, settlement.PROVEN_RECORD_GAS_LIMIT());
        assertTrue(relayLast(), "the resent record is a no-op");
        assertTrue(market.provenBatch(batchId).released, "still released");
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.BatchAlreadyReleased.selector, batchId));
        market.releaseProvenBatch(batchId, provenJobs());
    }

    function test_flow_aBatchIdOfTheRlcPathIsNeitherRecordedNorResentAsProven() public {
        // An RLC batch takes id 1 (recorded through the messenger); a proven record, or a resend, under it fails.
        (Job memory job, Proof memory proof) = provenJob(0);
        Job[] memory jobs = new Job[](1);
        Proof[] memory proofs = new Proof[](1);
        (jobs[0], proofs[0]) = (job, proof);
        uint256 rlcId = settlement.settleBatch(jobs, proofs);
        assertTrue(relayLast(), "the RLC batch recorded");
        vm.prank(aliasOf(address(settlement)));
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.BatchAlreadyRecorded.selector, rlcId));
        market.recordProvenBatch(rlcId, modelId(0), hash, count);
        uint64 gas = settlement.PROVEN_RECORD_GAS_LIMIT();
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.ProvenBatchUnknown.selector, rlcId));
        settlement.resendProvenBatch(rlcId, modelId(0), hash, count, gas);
    }

    function test_settle_aPausedMarketStillRecords() public {
        vm.prank(ADMIN);
        market.pause();
        uint256 batchId = settlement.settleProvenBatch(modelId(0), size, count, hash, batchProof());
        assertTrue(relayLast(), "a deposit is not retried: the record lands while paused");
        assertEq(market.provenBatch(batchId).jobCount, count, "recorded");
    }

    function test_settle_refusesAnotherCountOrHash() public {
        Proof memory proof = batchProof();
        vm.expectRevert(InferenceSettlement.InvalidBatchProof.selector);
        settlement.settleProvenBatch(modelId(0), size, count - 1, hash, proof);
        vm.expectRevert(InferenceSettlement.InvalidBatchProof.selector);
        settlement.settleProvenBatch(modelId(0), size, count + 1, hash, proof);
        vm.expectRevert(InferenceSettlement.InvalidBatchProof.selector);
        settlement.settleProvenBatch(modelId(0), size, count, hash ^ 1, proof);
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.BatchCountOutOfRange.selector, 0, size));
        settlement.settleProvenBatch(modelId(0), size, 0, hash, proof);
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.BatchCountOutOfRange.selector, size + 1, size));
        settlement.settleProvenBatch(modelId(0), size, size + 1, hash, proof);
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.BatchKeyNotRegistered.selector, modelId(0), size / 2));
        settlement.settleProvenBatch(modelId(0), size / 2, count, hash, proof);
        assertEq(l1Messenger.sentCount(), 0, "nothing sent");
    }

    function test_settle_refusesTamperedAndMalformedProofs() public {
        Proof memory swapped = batchProof();
        (swapped.a, swapped.c) = (swapped.c, swapped.a);
        Proof memory negated = batchProof();
        negated.a[1] = BN254_P - negated.a[1];
        Proof memory outOfField = batchProof();
        outOfField.c[0] += BN254_P;
        Proof memory offCurve = batchProof();
        offCurve.a[1] ^= 1;
        Proof[4] memory bad = [swapped, negated, outOfField, offCurve];
        for (uint256 i = 0; i < bad.length; ++i) {
            vm.expectRevert(InferenceSettlement.InvalidBatchProof.selector);
            settlement.settleProvenBatch(modelId(0), size, count, hash, bad[i]);
        }
        // A hash at or above the field modulus is refused before any pairing (it would alias hash − r).
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.SignalOutOfField.selector, 0, 2));
        settlement.settleProvenBatch(modelId(0), size, count, hash + 21888242871839275222246405745257275088548364400416034343698204186575808495617, batchProof());
    }

    function test_settle_refusesAModelThatStoppedAcceptingSettlement() public {
        vm.prank(ADMIN);
        registry.deactivateModel(modelId(0));
        vm.warp(block.timestamp + 1 days);
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.BatchKeyNotActive.selector, modelId(0), size));
        settle();
    }

    function test_settle_refusesABatchKeyBeforeItsActivationDelay() public {
        // A key added under jobs already open cannot settle them until watchers had the delay to check it.
        ModelRegistry fresh = new ModelRegistry(ADMIN, 1 days);
        fresh.registerModel(modelId(0), verifyingKey(0), modelInfo(0));
        fresh.registerBatchKey(modelId(0), size, batchKey(), batchCircuitSha256());
        InferenceSettlement early =
            new InferenceSettlement(fresh, ICrossDomainMessenger(address(l1Messenger)), address(market), 300_000);
        (, bool active, uint64 activatesAt) = fresh.batchKeyDataOf(modelId(0), size);
        assertFalse(active, "not yet active");
        assertEq(activatesAt, block.timestamp + 1 days, "active after the delay");
        Proof memory proof = batchProof();
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.BatchKeyNotActive.selector, modelId(0), size));
        early.settleProvenBatch(modelId(0), size, count, hash, proof);
        vm.warp(activatesAt);
        early.settleProvenBatch(modelId(0), size, count, hash, proof);
    }

    // ------------------------------------------------------------ L2 release

    function test_flow_openSettleRelayReleasePaysExactlyTheBatch() public {
        openFlowJobs(0, count);
        uint256 batchId = settle();
        assertTrue(relayLast(), "relayed");
        InferenceMarket.ProvenBatch memory recorded = market.provenBatch(batchId);
        assertEq(recorded.hash, hash, "hash recorded");
        assertEq(recorded.jobCount, count, "count recorded");

        InferenceMarket.ProvenJob[] memory named = provenJobs();
        uint256 gasBefore = gasleft();
        market.releaseProvenBatch(batchId, named);
        log("[gas] releaseProvenBatch on L2 per job (Poseidon recomputed)", (gasBefore - gasleft()) / count);

        InferenceMarket.ProvenJob[] memory jobs = provenJobs();
        uint256 rewards = 0;
        for (uint256 i = 0; i < count; ++i) {
            InferenceMarket.MarketJob memory j = market.job(jobs[i].jobId);
            assertTrue(j.status == InferenceMarket.JobStatus.Released, "released");
            assertEq(j.prover, prover, "paid to the batch's prover");
            assertEq(j.outputCommitment, jobs[i].outputCommitment, "output recorded");
            rewards += j.reward;
        }
        assertEq(token.balanceOf(prover), rewards, "rewards");
        assertEq(market.totalEscrow(), 0, "escrow released");
        assertEq(token.balanceOf(address(market)), market.totalBalances(), "conserved");

        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.BatchAlreadyReleased.selector, batchId));
        market.releaseProvenBatch(batchId, jobs);
        // The same proof settled again on L1 records another batch; releasing it pays nobody twice.
        uint256 again = settle();
        assertTrue(relayLast(), "relayed again");
        market.releaseProvenBatch(again, jobs);
        assertEq(token.balanceOf(prover), rewards, "still paid once");
    }

    function test_flow_refusesJobsThatDoNotHashToTheBatch() public {
        openFlowJobs(0, count);
        uint256 batchId = settle();
        assertTrue(relayLast(), "relayed");
        InferenceMarket.ProvenJob[] memory jobs = provenJobs();

        InferenceMarket.ProvenJob[] memory reordered = provenJobs();
        (reordered[0], reordered[1]) = (reordered[1], reordered[0]);
        InferenceMarket.ProvenJob[] memory otherOutput = provenJobs();
        otherOutput[2].outputCommitment += 1;
        InferenceMarket.ProvenJob[] memory otherProver = provenJobs();
        otherProver[0].prover = MALLORY;
        InferenceMarket.ProvenJob[][3] memory bad = [reordered, otherOutput, otherProver];
        for (uint256 i = 0; i < bad.length; ++i) {
            vm.expectPartialRevert(InferenceMarket.ProvenBatchHashMismatch.selector);
            market.releaseProvenBatch(batchId, bad[i]);
        }
        InferenceMarket.ProvenJob[] memory fewer = new InferenceMarket.ProvenJob[](count - 1);
        for (uint256 i = 0; i + 1 < count; ++i) {
            fewer[i] = jobs[i];
        }
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.JobCountMismatch.selector, batchId, count, count - 1));
        market.releaseProvenBatch(batchId, fewer);
        assertEq(token.balanceOf(prover), 0, "nothing paid");
        assertEq(token.balanceOf(MALLORY), 0, "nothing paid");
        // The honest list still releases afterwards.
        market.releaseProvenBatch(batchId, jobs);
        assertTrue(token.balanceOf(prover) > 0, "paid");
    }

    function test_flow_aJobThatWasNeverOpenedPaysNothing() public {
        // Only the first count − 1 jobs are opened: the batch hash names the last one, which L2 has no record of,
        // so its input commitment reads as 0 and the hash cannot match; nothing is paid for the batch.
        openFlowJobs(0, count - 1);
        uint256 batchId = settle();
        assertTrue(relayLast(), "relayed");
        vm.expectPartialRevert(InferenceMarket.ProvenBatchHashMismatch.selector);
        market.releaseProvenBatch(batchId, provenJobs());
        assertEq(token.balanceOf(prover), 0, "nothing paid");
    }

    function test_flow_aBatchIdIsRecordedByOnePathOnly() public {
        uint256 batchId = settle();
        assertTrue(relayLast(), "relayed");
        bytes memory rlc = abi.encodeCall(ISettledBatchReceiver.recordSettledBatch, (batchId, bytes32(uint256(1)), 1));
        assertFalse(l2Messenger.relayMessage(address(settlement), address(market), rlc), "the same id by the other path");
        uint256 other = settle();
        vm.prank(aliasOf(address(settlement)));
        market.recordProvenBatch(other, modelId(0), hash, count);
        vm.prank(aliasOf(address(settlement)));
        vm.expectRevert(abi.encodeWithSelector(InferenceMarket.BatchAlreadyRecorded.selector, other));
        market.recordProvenBatch(other, modelId(0), hash ^ 1, count);
        assertEq(market.provenBatch(other).hash, hash, "the first record stands");
    }

    function test_flow_onlyTheL1SettlementRecordsProvenBatches() public {
        vm.expectPartialRevert(InferenceMarket.UnauthorizedSettlement.selector);
        market.recordProvenBatch(7, modelId(0), hash, count);
        // Not the settlement's own address on L2 (deposits from contracts arrive aliased), nor anyone else's alias.
        for (uint256 i = 0; i < 2; ++i) {
            vm.prank(i == 0 ? address(settlement) : aliasOf(MALLORY));
            vm.expectPartialRevert(InferenceMarket.UnauthorizedSettlement.selector);
            market.recordProvenBatch(7, modelId(0), hash, count);
        }
        // Nor a messenger message, even one from the L1 settlement: proven batches come as deposits only.
        bytes memory message = abi.encodeCall(ISettledBatchReceiver.recordProvenBatch, (7, modelId(0), hash, count));
        assertFalse(l2Messenger.relayMessage(address(settlement), address(market), message), "a message");
        assertFalse(l2Messenger.relayMessage(MALLORY, address(market), message), "a message from another L1 sender");
        assertEq(market.provenBatch(7).jobCount, 0, "nothing recorded");
    }
}
