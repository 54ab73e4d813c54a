// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ICrossDomainMessenger} from "../src/common/ICrossDomainMessenger.sol";
import {Job} from "../src/common/Job.sol";
import {Proof} from "../src/l1/Groth16.sol";
import {InferenceSettlement} from "../src/l1/InferenceSettlement.sol";
import {ModelRegistry} from "../src/l1/ModelRegistry.sol";
import {Fixtures} from "./utils/Fixtures.sol";

/// @notice Settlement with the batch check exposed: shows the one-pairing path itself accepts valid batches (the
///         per-proof fallback would otherwise hide a broken batch check behind correct results).
contract BatchCheckHarness is InferenceSettlement {
    constructor(ModelRegistry r) InferenceSettlement(r, ICrossDomainMessenger(address(new NullMessenger())), address(2), 1) {}

    function batchCheck(Job[] calldata jobs, Proof[] calldata proofs) external view returns (bool) {
        (, bytes32 seed) = _hashBatch(jobs, proofs);
        (uint256[] memory modelOf, BatchModel[] memory models) = _loadModels(jobs);
        return _verifyBatch(jobs, proofs, modelOf, models, seed);
    }

    function pairingCount(Job[] calldata jobs, Proof[] calldata proofs) external view returns (uint256 pairs) {
        (, bytes32 seed) = _hashBatch(jobs, proofs);
        (uint256[] memory modelOf, BatchModel[] memory models) = _loadModels(jobs);
        bool ok;
        (ok,, pairs) = _batchPairs(jobs, proofs, modelOf, models, seed);
        require(ok, "points");
    }
}

/// @notice A messenger that accepts the call and does nothing: isolates settlement's own gas from the messenger's.
contract NullMessenger {
    function sendMessage(address, bytes calldata, uint32) external payable {}

    /// @dev Also the null portal: deposits go nowhere.
    function portal() external view returns (address) {
        return address(this);
    }

    function depositTransaction(address, uint256, uint64, bool, bytes calldata) external payable {}
}

/// @notice L1 gas of settlement, per job, by batch size (run with -vv to see the figures).
contract SettlementGasTest is Fixtures {
    ModelRegistry internal registry;
    InferenceSettlement internal settlement;
    BatchCheckHarness internal harness;
    uint256 internal countA;
    uint256 internal total;

    function setUp() public {
        if (!loadFixtures()) return;
        registry = new ModelRegistry(address(this), 1 days);
        registry.registerModel(modelId(0), verifyingKey(0), modelInfo(0));
        registry.registerModel(modelId(1), verifyingKey(1), modelInfo(1));
        settlement = new InferenceSettlement(
            registry, ICrossDomainMessenger(address(new NullMessenger())), address(0x4A11), 200_000
        );
        harness = new BatchCheckHarness(registry);
        total = jobCount();
        for (uint256 i = 0; i < total; ++i) {
            if (jobModel(i) == 0) ++countA;
        }
        // Steady state: the batch counter is already non-zero (the very first batch pays 17.1k more for it).
        (Job[] memory jobs, Proof[] memory proofs) = batch(1, false);
        settlement.settleBatch(jobs, proofs);
    }

    /// @dev Each settlement is its own transaction on L1: make every account it touches cold again, as it would be.
    function coolAll() internal {
        vm.cool(address(settlement));
        vm.cool(address(registry));
        vm.cool(address(settlement.messenger()));
        for (uint256 m = 0; m < 2; ++m) {
            (address keyData,) = registry.keyDataOf(modelId(m));
            vm.cool(keyData);
        }
    }

    /// @dev n entries cycling over the proven jobs of `models` (0: model A only, 1: both models interleaved).
    function batch(uint256 n, bool mixed) internal view returns (Job[] memory jobs, Proof[] memory proofs) {
        jobs = new Job[](n);
        proofs = new Proof[](n);
        uint256 pool = mixed ? total : countA;
        for (uint256 i = 0; i < n; ++i) {
            (jobs[i], proofs[i]) = provenJob(i % pool);
        }
    }

    /// @dev Intrinsic gas of a transaction carrying `data`: 21000 + 16 per non-zero byte + 4 per zero byte.
    function intrinsicGas(bytes memory data) internal pure returns (uint256 gas) {
        gas = 21_000;
        for (uint256 i = 0; i < data.length; ++i) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }

    function measure(uint256 n, bool mixed) internal returns (uint256 execution, uint256 perJob) {
        (Job[] memory jobs, Proof[] memory proofs) = batch(n, mixed);
        assertTrue(harness.batchCheck(jobs, proofs), "the batch pairing check itself accepts the batch");

        bytes memory data = abi.encodeCall(InferenceSettlement.settleBatch, (jobs, proofs));
        coolAll();
        uint256 before = gasleft();
        (bool ok,) = address(settlement).call(data);
        execution = before - gasleft();
        assertTrue(ok, "settleBatch");
        perJob = execution / n;
        uint256 txGas = execution + intrinsicGas(data);
        string memory label = string.concat(mixed ? "[gas] mixed 2-model batch n=" : "[gas] batch n=", vm.toString(n));
        log(string.concat(label, ": settleBatch execution"), execution);
        log(string.concat(label, ": execution gas/job"), perJob);
        log(string.concat(label, ": calldata bytes/job"), data.length / n);
        log(string.concat(label, ": whole tx (21000 + calldata + execution) gas/job"), txGas / n);
    }

    function test_gasPerJobByBatchSize() public {
        (, uint256 one) = measure(1, false);
        (, uint256 eight) = measure(8, false);
        (, uint256 thirtyTwo) = measure(32, false);
        (, uint256 sixtyFour) = measure(64, false);
        // Pairings dominate: 34k per proof plus 6k per scalar multiplication of A and C; the fixed cost (3 pairings,
        // 6 scalar multiplications per model, registry read, key copy, storage write, event) spreads over the batch.
        assertLe(thirtyTwo, 60_000, "execution gas per job at n=32");
        assertLe(sixtyFour, thirtyTwo, "larger batches are cheaper per job");
        assertLe(thirtyTwo, eight, "n=32 cheaper than n=8");
        assertLe(eight, one, "n=8 cheaper than n=1");
    }

    function test_pairingCountIsNPlus3PerModelWithSharedTermsMerged() public view {
        (Job[] memory jobs, Proof[] memory proofs) = batch(8, false);
        assertEq(harness.pairingCount(jobs, proofs), 8 + 3, "one model: n + 3");
        (jobs, proofs) = batch(total, true);
        // Two models: their α·β and γ terms share β₂ and γ₂, only δ differs.
        assertEq(harness.pairingCount(jobs, proofs), total + 3 + 1, "two models sharing beta and gamma: n + 4");
    }

    function test_gasPerJobMixedModels() public {
        (, uint256 perJob) = measure(32, true);
        // Two models share α, β (same powers of tau) and γ (snarkjs): their β and γ terms merge, so the batch costs
        // n + 4 pairings rather than n + 6.
        assertLe(perJob, 62_000, "execution gas per job at n=32, two models");
    }

    function test_gasRegisterModel() public {
        ModelRegistry fresh = new ModelRegistry(address(this), 1 days);
        bytes memory data = abi.encodeCall(ModelRegistry.registerModel, (modelId(0), verifyingKey(0), modelInfo(0)));
        uint256 before = gasleft();
        (bool ok,) = address(fresh).call(data);
        uint256 used = before - gasleft();
        assertTrue(ok, "registerModel");
        log("[gas] registerModel execution (key checks, data contract, metadata)", used);
    }

    function test_gasSingleProof() public {
        (Job memory job, Proof memory proof) = provenJob(0);
        bytes memory data = abi.encodeCall(InferenceSettlement.verifyProof, (job, proof));
        coolAll();
        uint256 before = gasleft();
        (bool ok, bytes memory result) = address(settlement).call(data);
        uint256 used = before - gasleft();
        assertTrue(ok && abi.decode(result, (bool)), "verifyProof");
        log("[gas] verifyProof (one proof, 4 pairings) execution", used);
        log("[gas] verifyProof whole tx (21000 + calldata + execution)", used + intrinsicGas(data));
    }
}
