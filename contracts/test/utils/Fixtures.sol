// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Job} from "../../src/common/Job.sol";
import {BN254_P, G1Point, G2Point, Proof, VerifyingKey, ecAdd, ecMul} from "../../src/l1/Groth16.sol";
import {ModelRegistry} from "../../src/l1/ModelRegistry.sol";
import {TestBase} from "./Vm.sol";

/// @notice Real Groth16 proofs for the settlement tests, read from the JSON that test/e2e/settlementContracts.e2e.ts
///         writes (iris-mlp and an 11-bit-input variant, keys and proofs already in precompile order). Without the file
///         (forge run on its own before the e2e ever ran) the tests that need it are skipped, not failed.
abstract contract Fixtures is TestBase {
    string internal fixtures;

    /// @dev Call first in setUp; skips the test contract when there are no fixtures.
    function loadFixtures() internal returns (bool) {
        string memory path =
            vm.envOr("VERITY_FORGE_FIXTURES", string.concat(vm.projectRoot(), "/build/forge-fixtures/settlement.json"));
        if (!vm.exists(path)) {
            vm.skip(true);
            return false;
        }
        fixtures = vm.readFile(path);
        return true;
    }

    function _key(string memory path) private view returns (uint256) {
        return vm.parseJsonUint(fixtures, path);
    }

    function modelId(uint256 m) internal view returns (uint256) {
        return _key(string.concat(".models[", vm.toString(m), "].modelId"));
    }

    /// @dev α(2), β(4), γ(4), δ(4), then the IC points: 26 words for a model key (IC₀..IC₅), 22 for a batch key.
    function keyFromWords(uint256[] memory w) internal pure returns (VerifyingKey memory vk) {
        vk.alpha1 = G1Point(w[0], w[1]);
        vk.beta2 = G2Point([w[2], w[3]], [w[4], w[5]]);
        vk.gamma2 = G2Point([w[6], w[7]], [w[8], w[9]]);
        vk.delta2 = G2Point([w[10], w[11]], [w[12], w[13]]);
        vk.ic = new G1Point[]((w.length - 14) / 2);
        for (uint256 j = 0; j < vk.ic.length; ++j) {
            vk.ic[j] = G1Point(w[14 + 2 * j], w[15 + 2 * j]);
        }
    }

    function verifyingKey(uint256 m) internal view returns (VerifyingKey memory) {
        return keyFromWords(vm.parseJsonUintArray(fixtures, string.concat(".models[", vm.toString(m), "].vk")));
    }

    function weakVerifyingKey() internal view returns (VerifyingKey memory) {
        return keyFromWords(vm.parseJsonUintArray(fixtures, ".weakVk"));
    }

    function modelInfo(uint256 m) internal view returns (ModelRegistry.ModelInfo memory info) {
        string memory base = string.concat(".models[", vm.toString(m), "]");
        info.onnxSha256 = vm.parseJsonBytes32(fixtures, string.concat(base, ".onnxSha256"));
        info.circuitSha256 = vm.parseJsonBytes32(fixtures, string.concat(base, ".circuitSha256"));
        info.inputShape = _u32(vm.parseJsonUintArray(fixtures, string.concat(base, ".inputShape")));
        info.outputShape = _u32(vm.parseJsonUintArray(fixtures, string.concat(base, ".outputShape")));
        info.inputScale = int16(uint16(vm.parseJsonUint(fixtures, string.concat(base, ".inputScale"))));
        info.outputScale = int16(uint16(vm.parseJsonUint(fixtures, string.concat(base, ".outputScale"))));
        info.inputBits = uint8(vm.parseJsonUint(fixtures, string.concat(base, ".inputBits")));
        info.outputBits = uint8(vm.parseJsonUint(fixtures, string.concat(base, ".outputBits")));
        info.name = vm.parseJsonString(fixtures, string.concat(base, ".name"));
    }

    function _u32(uint256[] memory values) private pure returns (uint32[] memory out) {
        out = new uint32[](values.length);
        for (uint256 i = 0; i < values.length; ++i) {
            out[i] = uint32(values[i]);
        }
    }

    /// @dev How many proven jobs `.jobs` holds (the first ones on model 0, then model 1).
    function jobCount() internal view returns (uint256) {
        return vm.parseJsonUintArray(fixtures, ".jobModels").length;
    }

    function jobModel(uint256 i) internal view returns (uint256) {
        return _key(string.concat(".jobs[", vm.toString(i), "].model"));
    }

    function provenJob(string memory list, uint256 i) internal view returns (Job memory job, Proof memory proof) {
        string memory base = string.concat(list, "[", vm.toString(i), "]");
        uint256[] memory s = vm.parseJsonUintArray(fixtures, string.concat(base, ".signals"));
        uint256[] memory p = vm.parseJsonUintArray(fixtures, string.concat(base, ".proof"));
        job = Job(s[0], s[1], s[2], s[3], address(uint160(s[4])));
        proof.a = [p[0], p[1]];
        proof.b = [[p[2], p[3]], [p[4], p[5]]];
        proof.c = [p[6], p[7]];
    }

    function provenJob(uint256 i) internal view returns (Job memory, Proof memory) {
        return provenJob(".jobs", i);
    }

    /// @dev The forgery that a key without phase-2 contribution accepts: A = α₁, B = β₂, C = −vk_x(signals).
    function forgeProof(VerifyingKey memory vk, Job memory job) internal view returns (Proof memory forged) {
        uint256[5] memory s = [job.modelId, job.inputCommitment, job.outputCommitment, job.jobId, uint160(job.prover)];
        (uint256 x, uint256 y) = (vk.ic[0].x, vk.ic[0].y);
        for (uint256 j = 0; j < 5; ++j) {
            (bool ok1, uint256 px, uint256 py) = ecMul(vk.ic[j + 1].x, vk.ic[j + 1].y, s[j]);
            bool ok2;
            (ok2, x, y) = ecAdd(x, y, px, py);
            assertTrue(ok1 && ok2, "vk_x");
        }
        forged.a = [vk.alpha1.x, vk.alpha1.y];
        forged.b = [vk.beta2.x, vk.beta2.y];
        forged.c = [x, y == 0 ? 0 : BN254_P - y];
    }
    /// @dev The batch circuit's key: 22 words, IC₀..IC₃.
    function batchKey() internal view returns (VerifyingKey memory) {
        return keyFromWords(vm.parseJsonUintArray(fixtures, ".batch.vk"));
    }

    function batchCircuitSha256() internal view returns (bytes32) {
        return vm.parseJsonBytes32(fixtures, ".batch.circuitSha256");
    }

    /// @dev A real batch proof of the fixtures' batch (size, count, hash under `.batch`) for model 0.
    function batchProof() internal view returns (Proof memory proof) {
        uint256[] memory p = vm.parseJsonUintArray(fixtures, ".batch.proof");
        proof.a = [p[0], p[1]];
        proof.b = [[p[2], p[3]], [p[4], p[5]]];
        proof.c = [p[6], p[7]];
    }
}
