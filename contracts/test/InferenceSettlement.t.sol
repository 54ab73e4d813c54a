// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICrossDomainMessenger, ISettledBatchReceiver} from "../src/common/ICrossDomainMessenger.sol";
import {Job, SNARK_SCALAR_FIELD} from "../src/common/Job.sol";
import {BN254_P, KEY_VERIFY_WORDS, Proof, VerifyingKey, ecAdd, ecMul, verifyGroth16} from "../src/l1/Groth16.sol";
import {InferenceSettlement} from "../src/l1/InferenceSettlement.sol";
import {ModelRegistry} from "../src/l1/ModelRegistry.sol";
import {Fixtures} from "./utils/Fixtures.sol";
import {MockL1Messenger} from "./utils/Mocks.sol";

/// @notice Exposes the single-proof check over an arbitrary key, to show what a weak key would accept.
contract Groth16Harness {
    function verify(uint256[KEY_VERIFY_WORDS] memory key, Job calldata job, Proof calldata proof)
        external
        view
        returns (bool)
    {
        return verifyGroth16(key, job, proof);
    }
}

/// @notice Batch verification on L1 with real iris-mlp proofs: what settles, and every way a batch is refused.
contract InferenceSettlementTest is Fixtures {
    address internal constant L2_MARKET = address(0x4A11);
    uint32 internal constant RELEASE_GAS = 200_000;
    address internal constant ADMIN = address(0xAD);
    address internal constant PUBLISHER = address(0xB0B);
    uint64 internal constant DEACTIVATION_DELAY = 1 days;

    ModelRegistry internal registry;
    MockL1Messenger internal messenger;
    InferenceSettlement internal settlement;
    uint256 internal idA;
    uint256 internal idB;
    uint256 internal countA;
    uint256 internal total;

    event BatchSettled(uint256 indexed batchId, bytes32 batchHash, uint256 jobCount);

    function setUp() public {
        if (!loadFixtures()) return;
        registry = new ModelRegistry(ADMIN, DEACTIVATION_DELAY);
        messenger = new MockL1Messenger();
        settlement =
            new InferenceSettlement(registry, ICrossDomainMessenger(address(messenger)), L2_MARKET, RELEASE_GAS);
        idA = modelId(0);
        idB = modelId(1);
        vm.startPrank(PUBLISHER);
        registry.registerModel(idA, verifyingKey(0), modelInfo(0));
        registry.registerModel(idB, verifyingKey(1), modelInfo(1));
        vm.stopPrank();
        total = jobCount();
        for (uint256 i = 0; i < total; ++i) {
            if (jobModel(i) == 0) ++countA;
        }
    }

    /// @dev Jobs [from, from + n) of the fixtures.
    function batch(uint256 from, uint256 n) internal view returns (Job[] memory jobs, Proof[] memory proofs) {
        jobs = new Job[](n);
        proofs = new Proof[](n);
        for (uint256 i = 0; i < n; ++i) {
            (jobs[i], proofs[i]) = provenJob(from + i);
        }
    }

    // ------------------------------------------------------------------ accepted

    function test_settlesBatchOfRealProofsInOneCallAndSendsOneMessage() public {
        (Job[] memory jobs, Proof[] memory proofs) = batch(0, countA);
        bytes32 hash = keccak256(abi.encode(jobs));
        vm.expectEmit(true, false, false, true, address(settlement));
        emit BatchSettled(1, hash, countA);
        uint256 batchId = settlement.settleBatch(jobs, proofs);

        assertEq(batchId, 1, "batch id");
        assertEq(settlement.batchCount(), 1, "batch count");
        assertEq(settlement.hashJobs(jobs), hash, "hashJobs");
        assertEq(messenger.sentCount(), 1, "one message");
        MockL1Messenger.Sent memory sent = messenger.sent(0);
        assertEq(sent.target, L2_MARKET, "target");
        assertEq(sent.sender, address(settlement), "sender");
        assertEq(sent.minGasLimit, RELEASE_GAS, "gas limit");
        assertEq(
            keccak256(sent.message),
            keccak256(abi.encodeCall(ISettledBatchReceiver.recordSettledBatch, (1, hash, countA))),
            "message is recordSettledBatch(batchId, batchHash, jobCount)"
        );
        // The message carries only the hash: its size does not grow with the batch.
        assertEq(sent.message.length, 4 + 3 * 32, "message size");
    }

    function test_settlesBatchMixingTwoModels() public {
        // Interleave: B, A, B, A, ... so the grouping by model is exercised.
        (Job[] memory all, Proof[] memory allProofs) = batch(0, total);
        Job[] memory jobs = new Job[](total);
        Proof[] memory proofs = new Proof[](total);
        uint256 a = 0;
        uint256 b = countA;
        for (uint256 i = 0; i < total; ++i) {
            uint256 k = (i % 2 == 0 && b < total) || a == countA ? b++ : a++;
            jobs[i] = all[k];
            proofs[i] = allProofs[k];
        }
        assertEq(settlement.settleBatch(jobs, proofs), 1, "batch id");
        assertEq(settlement.settleBatch(jobs, proofs), 2, "the same jobs again settle on L1 (L2 pays once)");
    }

    function test_everyFixtureProofVerifiesAlone() public view {
        for (uint256 i = 0; i < total; ++i) {
            (Job memory job, Proof memory proof) = provenJob(i);
            assertTrue(settlement.verifyProof(job, proof), "verifyProof");
        }
    }

    function test_duplicateJobsInOneBatchSettle() public {
        // Each index gets its own challenge, so repeating an entry is just more weight on a valid equation.
        (Job memory job, Proof memory proof) = provenJob(0);
        Job[] memory jobs = new Job[](4);
        Proof[] memory proofs = new Proof[](4);
        for (uint256 i = 0; i < 4; ++i) {
            (jobs[i], proofs[i]) = (job, proof);
        }
        assertEq(settlement.settleBatch(jobs, proofs), 1, "batch id");
    }

    // ------------------------------------------------------------------ tampering

    /// @dev Fields 0-7: a.x, a.y, b.x.im, b.x.re, b.y.im, b.y.re, c.x, c.y; 8-11: inputCommitment,
    ///      outputCommitment, jobId, prover.
    function tamper(Job memory job, Proof memory proof, uint256 field, uint256 delta) internal pure {
        if (field < 2) {
            proof.a[field] = addmod(proof.a[field], delta, BN254_P);
        } else if (field < 6) {
            proof.b[(field - 2) / 2][(field - 2) % 2] = addmod(proof.b[(field - 2) / 2][field % 2], delta, BN254_P);
        } else if (field < 8) {
            proof.c[field - 6] = addmod(proof.c[field - 6], delta, BN254_P);
        } else if (field == 8) {
            job.inputCommitment = addmod(job.inputCommitment, delta, SNARK_SCALAR_FIELD);
        } else if (field == 9) {
            job.outputCommitment = addmod(job.outputCommitment, delta, SNARK_SCALAR_FIELD);
        } else if (field == 10) {
            job.jobId = addmod(job.jobId, delta, SNARK_SCALAR_FIELD);
        } else {
            job.prover = address(uint160(job.prover) ^ uint160(delta));
        }
    }

    function test_eachTamperedFieldIsRefusedWithItsJobIndex() public {
        uint256 index = 5;
        for (uint256 field = 0; field < 12; ++field) {
            (Job[] memory jobs, Proof[] memory proofs) = batch(0, countA);
            tamper(jobs[index], proofs[index], field, 1);
            vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.InvalidProof.selector, index));
            settlement.settleBatch(jobs, proofs);
        }
        // modelId: claiming another registered model's id checks the proof against that model's key.
        (Job[] memory jobs2, Proof[] memory proofs2) = batch(0, countA);
        jobs2[index].modelId = idB;
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.InvalidProof.selector, index));
        settlement.settleBatch(jobs2, proofs2);
        // ... and an id nobody registered is named as such.
        jobs2[index].modelId = idA + 1;
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.ModelNotRegistered.selector, index, idA + 1));
        settlement.settleBatch(jobs2, proofs2);
    }

    function testFuzz_tamperedFieldIsRefusedWithItsJobIndex(uint256 fieldSeed, uint256 indexSeed, uint256 deltaSeed)
        public
    {
        uint256 n = countA;
        uint256 index = bound(indexSeed, 0, n - 1);
        uint256 field = bound(fieldSeed, 0, 11);
        uint256 delta = bound(deltaSeed, 1, type(uint128).max);
        (Job[] memory jobs, Proof[] memory proofs) = batch(0, n);
        tamper(jobs[index], proofs[index], field, delta);
        if (field == 11 && jobs[index].prover == provenJobProver(index)) return;
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.InvalidProof.selector, index));
        settlement.settleBatch(jobs, proofs);
    }

    function provenJobProver(uint256 i) internal view returns (address) {
        (Job memory job,) = provenJob(i);
        return job.prover;
    }

    function test_validPointsFromAnotherProofAreRefused() public {
        // On-curve replacements (no precompile failure): only the pairing equation can catch them.
        (Job[] memory jobs, Proof[] memory proofs) = batch(0, countA);
        proofs[3].a = proofs[4].a;
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.InvalidProof.selector, 3));
        settlement.settleBatch(jobs, proofs);

        (jobs, proofs) = batch(0, countA);
        proofs[6].b = proofs[1].b;
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.InvalidProof.selector, 6));
        settlement.settleBatch(jobs, proofs);

        // Two proofs swapped between their jobs: the first one is named.
        (jobs, proofs) = batch(0, countA);
        (proofs[2], proofs[7]) = (proofs[7], proofs[2]);
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.InvalidProof.selector, 2));
        settlement.settleBatch(jobs, proofs);
    }

    function test_errorsThatCancelInASumAreCaughtByTheRandomWeights() public {
        // C₂ + D and C₅ − D: an unweighted sum of the batch equations would be unchanged and accept both. The
        // per-proof 128-bit challenges make the errors weigh differently, so the batch fails and proof 2 is named.
        (Job[] memory jobs, Proof[] memory proofs) = batch(0, countA);
        (bool ok1, uint256 x, uint256 y) = ecAdd(proofs[2].c[0], proofs[2].c[1], 1, 2);
        (bool ok2, uint256 x2, uint256 y2) = ecAdd(proofs[5].c[0], proofs[5].c[1], 1, BN254_P - 2);
        assertTrue(ok1 && ok2, "ecAdd");
        proofs[2].c = [x, y];
        proofs[5].c = [x2, y2];
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.InvalidProof.selector, 2));
        settlement.settleBatch(jobs, proofs);
    }

    function test_malformedPointsAreInvalidProofsNotOpaqueReverts() public {
        (Job[] memory jobs, Proof[] memory proofs) = batch(0, countA);
        proofs[4].a = [uint256(1), 3]; // off the curve: ecMul fails
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.InvalidProof.selector, 4));
        settlement.settleBatch(jobs, proofs);

        (jobs, proofs) = batch(0, countA);
        proofs[1].c = [BN254_P, proofs[1].c[1]]; // coordinate ≥ p
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.InvalidProof.selector, 1));
        settlement.settleBatch(jobs, proofs);

        (jobs, proofs) = batch(0, countA);
        proofs[7].b = [[uint256(1), 2], [uint256(3), 4]]; // not a G2 point: the pairing precompile fails
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.InvalidProof.selector, 7));
        settlement.settleBatch(jobs, proofs);

        (jobs, proofs) = batch(0, countA);
        proofs[0].a = [uint256(0), 0]; // the point at infinity is a valid input, but not a valid proof
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.InvalidProof.selector, 0));
        settlement.settleBatch(jobs, proofs);
    }

    function test_twoBadProofsNameTheFirst() public {
        (Job[] memory jobs, Proof[] memory proofs) = batch(0, countA);
        jobs[6].jobId += 1;
        jobs[2].outputCommitment += 1;
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.InvalidProof.selector, 2));
        settlement.settleBatch(jobs, proofs);
    }

    function test_forgeryAcceptedByAWeakKeyIsRefused() public {
        (Job memory job,) = provenJob(0);
        job.outputCommitment = 424242; // any output the forger likes
        job.prover = address(0xBAD);
        VerifyingKey memory vk = verifyingKey(0);
        Proof memory forged = forgeProof(vk, job);

        // Against the registered (contributed) key the forgery fails, alone and in a batch.
        assertFalse(settlement.verifyProof(job, forged), "verifyProof");
        (Job[] memory jobs, Proof[] memory proofs) = batch(0, 3);
        jobs[1] = job;
        proofs[1] = forged;
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.InvalidProof.selector, 1));
        settlement.settleBatch(jobs, proofs);

        // With δ = γ (a key with no phase-2 contribution) the very same forgery verifies: why the registry refuses
        // such keys (ModelRegistry.t.sol and test_registryRefusesTheRealUncontributedKey).
        Groth16Harness harness = new Groth16Harness();
        uint256[KEY_VERIFY_WORDS] memory weak = foldedKey(vk, job.modelId);
        for (uint256 k = 0; k < 4; ++k) {
            weak[10 + k] = weak[6 + k];
        }
        assertTrue(harness.verify(weak, job, forged), "a weak key accepts the forgery");
        assertFalse(harness.verify(foldedKey(vk, job.modelId), job, forged), "the real key does not");
    }

    function test_registryRefusesTheRealUncontributedKey() public {
        vm.expectRevert(ModelRegistry.DeltaEqualsGamma.selector);
        registry.registerModel(12345, weakVerifyingKey(), modelInfo(0));
    }

    function foldedKey(VerifyingKey memory vk, uint256 id) internal view returns (uint256[KEY_VERIFY_WORDS] memory w) {
        (, uint256 mx, uint256 my) = ecMul(vk.ic[1].x, vk.ic[1].y, id);
        (, uint256 fx, uint256 fy) = ecAdd(vk.ic[0].x, vk.ic[0].y, mx, my);
        w = [
            vk.alpha1.x,
            vk.alpha1.y,
            vk.beta2.x[0],
            vk.beta2.x[1],
            vk.beta2.y[0],
            vk.beta2.y[1],
            vk.gamma2.x[0],
            vk.gamma2.x[1],
            vk.gamma2.y[0],
            vk.gamma2.y[1],
            vk.delta2.x[0],
            vk.delta2.x[1],
            vk.delta2.y[0],
            vk.delta2.y[1],
            fx,
            fy,
            vk.ic[2].x,
            vk.ic[2].y,
            vk.ic[3].x,
            vk.ic[3].y,
            vk.ic[4].x,
            vk.ic[4].y,
            vk.ic[5].x,
            vk.ic[5].y
        ];
    }

    // ------------------------------------------------------------------ refused before any pairing

    function test_signalAtOrAboveTheFieldIsRefused() public {
        // s + r is the same field element as s: without the range check one proof would settle under two job ids.
        (Job[] memory jobs, Proof[] memory proofs) = batch(0, countA);
        jobs[3].jobId += SNARK_SCALAR_FIELD;
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.SignalOutOfField.selector, 3, 3));
        settlement.settleBatch(jobs, proofs);
        assertFalse(settlement.verifyProof(jobs[3], proofs[3]), "verifyProof");

        (jobs, proofs) = batch(0, countA);
        jobs[1].inputCommitment += SNARK_SCALAR_FIELD;
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.SignalOutOfField.selector, 1, 1));
        settlement.settleBatch(jobs, proofs);

        (jobs, proofs) = batch(0, countA);
        jobs[2].outputCommitment = SNARK_SCALAR_FIELD;
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.SignalOutOfField.selector, 2, 2));
        settlement.settleBatch(jobs, proofs);

        (jobs, proofs) = batch(0, countA);
        jobs[0].modelId += SNARK_SCALAR_FIELD;
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.SignalOutOfField.selector, 0, 0));
        settlement.settleBatch(jobs, proofs);
    }

    function testFuzz_signalAboveFieldIsRefused(uint256 value, uint256 which) public {
        value = bound(value, SNARK_SCALAR_FIELD, type(uint256).max);
        which = bound(which, 1, 3);
        (Job[] memory jobs, Proof[] memory proofs) = batch(0, 2);
        if (which == 1) jobs[1].inputCommitment = value;
        else if (which == 2) jobs[1].outputCommitment = value;
        else jobs[1].jobId = value;
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.SignalOutOfField.selector, 1, which));
        settlement.settleBatch(jobs, proofs);
    }

    /// @dev The griefing the delay prevents: the publisher deactivates right after provers proved its jobs. Those
    ///      jobs still settle; only once the delay has passed is the model refused.
    function test_provenJobsStillSettleRightAfterDeactivationIsScheduledAndAreRefusedAfterTheDelay() public {
        (Job[] memory early, Proof[] memory earlyProofs) = batch(countA - 2, 4); // two A jobs, then two B jobs
        (Job[] memory late, Proof[] memory lateProofs) = batch(countA, 2); // two B jobs
        vm.prank(PUBLISHER);
        uint64 at = registry.deactivateModel(idB);
        assertEq(at, block.timestamp + DEACTIVATION_DELAY, "effective after the delay");

        assertEq(settlement.settleBatch(early, earlyProofs), 1, "settles right after the request");
        vm.warp(at - 1);
        assertEq(settlement.settleBatch(late, lateProofs), 2, "settles until the last second");

        vm.warp(at);
        (late, lateProofs) = batch(countA - 2, 4);
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.ModelNotActive.selector, 2, idB));
        settlement.settleBatch(late, lateProofs);
        // Model A still settles.
        (late, lateProofs) = batch(0, 2);
        settlement.settleBatch(late, lateProofs);
        assertEq(messenger.sentCount(), 3, "three batches sent");
    }

    function test_unregisteredModelIsRefused() public {
        ModelRegistry onlyA = new ModelRegistry(ADMIN, DEACTIVATION_DELAY);
        onlyA.registerModel(idA, verifyingKey(0), modelInfo(0));
        InferenceSettlement s = new InferenceSettlement(onlyA, ICrossDomainMessenger(address(messenger)), L2_MARKET, 1);
        (Job[] memory jobs, Proof[] memory proofs) = batch(countA - 1, 2);
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.ModelNotRegistered.selector, 1, idB));
        s.settleBatch(jobs, proofs);
        assertFalse(s.verifyProof(jobs[1], proofs[1]), "verifyProof of an unknown model");
    }

    function test_emptyBatchAndLengthMismatchAreRefused() public {
        vm.expectRevert(InferenceSettlement.EmptyBatch.selector);
        settlement.settleBatch(new Job[](0), new Proof[](0));
        (Job[] memory jobs, Proof[] memory proofs) = batch(0, 3);
        Proof[] memory two = new Proof[](2);
        (two[0], two[1]) = (proofs[0], proofs[1]);
        vm.expectRevert(abi.encodeWithSelector(InferenceSettlement.LengthMismatch.selector, 3, 2));
        settlement.settleBatch(jobs, two);
        assertEq(messenger.sentCount(), 0, "nothing sent");
    }

    function test_proverWordWithDirtyHighBitsIsRefused() public {
        // L2 decodes the same jobs with the ABI decoder, which refuses such a word: L1 must refuse it too, or the
        // batch hash would never match on L2.
        (Job[] memory jobs, Proof[] memory proofs) = batch(0, 1);
        bytes memory data = abi.encodeCall(InferenceSettlement.settleBatch, (jobs, proofs));
        // selector(4) | offset jobs | offset proofs | jobs.length | job words... : prover is the 5th job word.
        uint256 proverWord = 4 + 32 * 3 + 32 * 4;
        data[proverWord] = 0x01;
        (bool ok,) = address(settlement).call(data);
        assertFalse(ok, "dirty prover refused");
        assertEq(settlement.batchCount(), 0, "nothing settled");
    }
}
