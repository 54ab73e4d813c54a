// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Job} from "../src/common/Job.sol";
import {Proof} from "../src/l1/Groth16.sol";
import {InferenceMarket} from "../src/l2/InferenceMarket.sol";
import {FlowFixture} from "./utils/FlowFixture.sol";

/// @notice A job's whole life across both layers with real proofs: requests signed to the L2 market, proofs made
///         (by the e2e suite) for the job ids those requests derive, settled on L1, the L1 message relayed to L2,
///         escrow released to the provers named in the proofs. The messengers are mocks (the OP bridge is outside
///         the system under test): the L1 one captures the message, the L2 one relays it "from" L1.
contract SettlementFlowTest is FlowFixture {
    uint256 internal count;

    function setUp() public {
        if (!loadFixtures()) return;
        count = vm.parseJsonUintArray(fixtures, ".flow.nonces").length;
        deployFlow();
    }

    function requestFor(uint256 i, Job memory job) internal view returns (InferenceMarket.OpenRequest memory) {
        return flowRequest(i, job.modelId, job.inputCommitment);
    }

    function test_openSettleRelayRelease() public {
        Job[] memory jobs = new Job[](count);
        Proof[] memory proofs = new Proof[](count);
        InferenceMarket.OpenRequest[] memory requests = new InferenceMarket.OpenRequest[](count);
        bytes[] memory sigs = new bytes[](count);
        for (uint256 i = 0; i < count; ++i) {
            (jobs[i], proofs[i]) = provenJob(".flowJobs", i);
            requests[i] = requestFor(i, jobs[i]);
            sigs[i] = signRequest(requests[i]);
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
        sigs[0] = signRequest(requests[0]);
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
