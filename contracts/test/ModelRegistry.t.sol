// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SNARK_SCALAR_FIELD} from "../src/common/Job.sol";
import {
    BN254_P,
    G1Point,
    G2Point,
    G2_GEN_X_IM,
    G2_GEN_X_RE,
    G2_GEN_Y_IM,
    G2_GEN_Y_RE,
    VerifyingKey,
    ecAdd,
    ecMul
} from "../src/l1/Groth16.sol";
import {ModelRegistry} from "../src/l1/ModelRegistry.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice Registration refuses every key that would brick settlement or accept forged proofs. Synthetic keys made
///         of known curve points (no fixtures needed); the real uncontributed snarkjs key is refused in
///         InferenceSettlement.t.sol.
contract ModelRegistryTest is TestBase {
    address internal constant ADMIN = address(0xAD);
    address internal constant PUBLISHER = address(0xB0B);
    uint256 internal constant ID = 4242;
    uint64 internal constant DELAY = 1 days;

    // 2·G2 and 5·G2, precompile order (imaginary part first).
    uint256 internal constant G2_2_X_IM = 14583779054894525174450323658765874724019480979794335525732096752006891875705;
    uint256 internal constant G2_2_X_RE = 18029695676650738226693292988307914797657423701064905010927197838374790804409;
    uint256 internal constant G2_2_Y_IM = 11474861747383700316476719153975578001603231366361248090558603872215261634898;
    uint256 internal constant G2_2_Y_RE = 2140229616977736810657479771656733941598412651537078903776637920509952744750;
    uint256 internal constant G2_5_X_IM = 4540444681147253467785307942530223364530218361853237193970751657229138047649;
    uint256 internal constant G2_5_X_RE = 20954117799226682825035885491234530437475518021362091509513177301640194298072;
    uint256 internal constant G2_5_Y_IM = 11631839690097995216017572651900167465857396346217730511548857041925508482915;
    uint256 internal constant G2_5_Y_RE = 21508930868448350162258892668132814424284302804699005394342512102884055673846;
    // A point on the twist curve (x = 5 + 7u) that is not in the r-order subgroup.
    uint256 internal constant TWIST_Y_IM = 7725726043995492642523437117482797935234323127692651688566008281473525510811;
    uint256 internal constant TWIST_Y_RE = 5192405533455345018000468335160845752811034038275970461242317892737186914922;

    ModelRegistry internal registry;

    event ModelRegistered(
        uint256 indexed modelId,
        address indexed publisher,
        address keyData,
        bytes32 onnxSha256,
        bytes32 circuitSha256,
        string name
    );
    event ModelDeactivationScheduled(uint256 indexed modelId, address indexed by, uint64 deactivatesAt);

    function setUp() public {
        registry = new ModelRegistry(ADMIN, DELAY);
    }

    function g1(uint256 k) internal view returns (G1Point memory) {
        (bool ok, uint256 x, uint256 y) = ecMul(1, 2, k);
        assertTrue(ok, "ecMul");
        return G1Point(x, y);
    }

    function generator2() internal pure returns (G2Point memory) {
        return G2Point([G2_GEN_X_IM, G2_GEN_X_RE], [G2_GEN_Y_IM, G2_GEN_Y_RE]);
    }

    function negate2(G2Point memory p) internal pure returns (G2Point memory) {
        return G2Point(p.x, [BN254_P - p.y[0], BN254_P - p.y[1]]);
    }

    /// @dev α = 3·G1, β = 2·G2, γ = G2 (as in every snarkjs key), δ = 5·G2, ICⱼ = (7 + j)·G1.
    function key() internal view returns (VerifyingKey memory vk) {
        vk.alpha1 = g1(3);
        vk.beta2 = G2Point([G2_2_X_IM, G2_2_X_RE], [G2_2_Y_IM, G2_2_Y_RE]);
        vk.gamma2 = generator2();
        vk.delta2 = G2Point([G2_5_X_IM, G2_5_X_RE], [G2_5_Y_IM, G2_5_Y_RE]);
        vk.ic = new G1Point[](6);
        for (uint256 j = 0; j < 6; ++j) {
            vk.ic[j] = g1(7 + j);
        }
    }

    function info() internal pure returns (ModelRegistry.ModelInfo memory i) {
        i.onnxSha256 = keccak256("onnx");
        i.circuitSha256 = keccak256("circuit");
        i.inputShape = new uint32[](1);
        i.inputShape[0] = 4;
        i.outputShape = new uint32[](1);
        i.outputShape[0] = 3;
        i.inputScale = 7;
        i.outputScale = 9;
        i.inputBits = 12;
        i.outputBits = 18;
        i.name = "iris-mlp";
    }

    function register(VerifyingKey memory vk) internal {
        vm.prank(PUBLISHER);
        registry.registerModel(ID, vk, info());
    }

    function expectRefused(VerifyingKey memory vk, bytes memory reason) internal {
        vm.expectRevert(reason);
        registry.registerModel(ID, vk, info());
    }

    // ------------------------------------------------------------------ accepted

    function test_registersAndStoresTheKeyAndMetadata() public {
        VerifyingKey memory vk = key();
        vm.expectEmit(true, true, false, false, address(registry));
        emit ModelRegistered(ID, PUBLISHER, address(0), 0, 0, "");
        register(vk);

        assertTrue(registry.isActive(ID), "active");
        assertTrue(registry.isRegistered(ID), "registered");
        assertEq(registry.publisherOf(ID), PUBLISHER, "publisher");
        assertEq(registry.registeredAt(ID), block.timestamp, "registered at");
        VerifyingKey memory stored = registry.verifyingKeyOf(ID);
        assertEq(keccak256(abi.encode(stored)), keccak256(abi.encode(vk)), "key round-trips");
        ModelRegistry.ModelInfo memory i = registry.modelInfoOf(ID);
        assertEq(keccak256(abi.encode(i)), keccak256(abi.encode(info())), "metadata round-trips");
    }

    function test_storesTheKeyAsCodeWithIC0FoldedWithTheModelId() public {
        VerifyingKey memory vk = key();
        register(vk);
        (address keyData, bool active) = registry.keyDataOf(ID);
        assertTrue(active, "active");
        bytes memory code = keyData.code;
        assertEq(code.length, 1 + 28 * 32, "STOP byte + 28 words");
        assertEq(uint8(code[0]), 0, "starts with STOP: calling it does nothing");
        // Words 14-15: IC₀ + modelId·IC₁.
        (, uint256 mx, uint256 my) = ecMul(vk.ic[1].x, vk.ic[1].y, ID);
        (, uint256 fx, uint256 fy) = ecAdd(vk.ic[0].x, vk.ic[0].y, mx, my);
        uint256 w14;
        uint256 w15;
        assembly {
            w14 := mload(add(code, add(33, mul(14, 32))))
            w15 := mload(add(code, add(33, mul(15, 32))))
        }
        assertEq(w14, fx, "IC0' x");
        assertEq(w15, fy, "IC0' y");
    }

    // ------------------------------------------------------------------ weak keys

    function test_refusesDeltaEqualToGamma() public {
        // What snarkjs's newZKey writes before any phase-2 contribution: δ = γ = G2. Forgery: A=α, B=β, C=−vk_x.
        VerifyingKey memory vk = key();
        vk.delta2 = vk.gamma2;
        expectRefused(vk, abi.encodeWithSelector(ModelRegistry.DeltaEqualsGamma.selector));
        // δ = −γ is as weak: e(C, −γ) = e(−C, γ), forgery C = +vk_x.
        vk.delta2 = negate2(vk.gamma2);
        expectRefused(vk, abi.encodeWithSelector(ModelRegistry.DeltaEqualsGamma.selector));
    }

    function test_refusesDeltaEqualToTheGenerator() public {
        VerifyingKey memory vk = key();
        vk.gamma2 = vk.beta2; // so δ = G2 is not also δ = γ
        vk.delta2 = generator2();
        expectRefused(vk, abi.encodeWithSelector(ModelRegistry.DeltaIsGenerator.selector));
        vk.delta2 = negate2(generator2());
        expectRefused(vk, abi.encodeWithSelector(ModelRegistry.DeltaIsGenerator.selector));
    }

    function test_acceptsGammaEqualToTheGenerator() public {
        // Every snarkjs key has γ = G2 (snarkjs fixes γ = 1); only δ is randomized, and that is sound.
        VerifyingKey memory vk = key();
        assertEq(vk.gamma2.x[0], G2_GEN_X_IM, "gamma is the generator");
        register(vk);
        assertTrue(registry.isActive(ID), "registered");
    }

    // ------------------------------------------------------------------ malformed keys

    function test_refusesPointsAtInfinity() public {
        string[4] memory which = ["alpha", "ic3", "delta", "beta"];
        for (uint256 k = 0; k < 4; ++k) {
            VerifyingKey memory vk = key();
            if (k == 0) vk.alpha1 = G1Point(0, 0);
            else if (k == 1) vk.ic[3] = G1Point(0, 0); // a signal with IC at infinity would not be bound by proofs
            else if (k == 2) vk.delta2 = G2Point([uint256(0), 0], [uint256(0), 0]);
            else vk.beta2 = G2Point([uint256(0), 0], [uint256(0), 0]);
            expectRefused(vk, abi.encodeWithSelector(ModelRegistry.PointAtInfinity.selector, which[k]));
        }
    }

    function test_refusesMalformedG1Points() public {
        VerifyingKey memory vk = key();
        vk.alpha1 = G1Point(1, 3); // off the curve
        expectRefused(vk, abi.encodeWithSelector(ModelRegistry.MalformedPoint.selector, "alpha"));
        vk = key();
        vk.ic[5].y += BN254_P; // same point mod p, non-canonical encoding
        expectRefused(vk, abi.encodeWithSelector(ModelRegistry.MalformedPoint.selector, "ic5"));
        vk = key();
        vk.ic[0].x += 1;
        expectRefused(vk, abi.encodeWithSelector(ModelRegistry.MalformedPoint.selector, "ic0"));
    }

    function test_refusesMalformedG2Points() public {
        VerifyingKey memory vk = key();
        vk.beta2.y[1] += 1; // off the twist
        expectRefused(vk, abi.encodeWithSelector(ModelRegistry.MalformedPoint.selector, "beta"));

        vk = key();
        vk.delta2 = G2Point([uint256(7), 5], [TWIST_Y_IM, TWIST_Y_RE]); // on the twist, outside the subgroup
        expectRefused(vk, abi.encodeWithSelector(ModelRegistry.MalformedPoint.selector, "delta"));

        vk = key();
        vk.gamma2.x[0] = BN254_P; // coordinate ≥ p
        expectRefused(vk, abi.encodeWithSelector(ModelRegistry.MalformedPoint.selector, "gamma"));

        vk = key();
        // snarkjs's order (real part first) instead of the precompile's: not a point, refused.
        (vk.beta2.x[0], vk.beta2.x[1], vk.beta2.y[0], vk.beta2.y[1]) = (G2_2_X_RE, G2_2_X_IM, G2_2_Y_RE, G2_2_Y_IM);
        expectRefused(vk, abi.encodeWithSelector(ModelRegistry.MalformedPoint.selector, "beta"));
    }

    function test_refusesAnyICCountButSix() public {
        for (uint256 count = 0; count < 9; ++count) {
            if (count == 6) continue;
            VerifyingKey memory vk = key();
            G1Point[] memory ic = new G1Point[](count);
            for (uint256 j = 0; j < count; ++j) {
                ic[j] = g1(7 + j);
            }
            vk.ic = ic;
            expectRefused(vk, abi.encodeWithSelector(ModelRegistry.WrongIcCount.selector, count));
        }
    }

    // ------------------------------------------------------------------ ids

    function test_refusesATakenId() public {
        VerifyingKey memory vk = key();
        register(vk);
        vm.prank(address(0xE71));
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.ModelAlreadyRegistered.selector, ID));
        registry.registerModel(ID, vk, info());
        assertEq(registry.publisherOf(ID), PUBLISHER, "first publisher kept");
    }

    function testFuzz_refusesAnIdOutsideTheField(uint256 id) public {
        id = bound(id, SNARK_SCALAR_FIELD, type(uint256).max);
        VerifyingKey memory vk = key();
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.ModelIdOutOfField.selector, id));
        registry.registerModel(id, vk, info());
    }

    // ------------------------------------------------------------------ deactivation

    function test_deactivationByAStrangerIsRefused() public {
        register(key());
        vm.prank(address(0xE71));
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.NotPublisherOrAdmin.selector, ID, address(0xE71)));
        registry.deactivateModel(ID);
        assertTrue(registry.isActive(ID), "still active");
    }

    function test_thePublisherSchedulesDeactivationAndTheModelStaysActiveUntilTheDelayPasses() public {
        register(key());
        uint64 at = uint64(block.timestamp) + DELAY;
        vm.expectEmit(true, true, false, true, address(registry));
        emit ModelDeactivationScheduled(ID, PUBLISHER, at);
        vm.prank(PUBLISHER);
        assertEq(registry.deactivateModel(ID), at, "returns when it takes effect");
        assertEq(registry.deactivationTimeOf(ID), at, "scheduled");

        // Right after the request, and up to the last second before it takes effect: still active.
        assertTrue(registry.isActive(ID), "active right after the request");
        (, bool active) = registry.keyDataOf(ID);
        assertTrue(active, "settlement still sees it active");
        vm.warp(at - 1);
        assertTrue(registry.isActive(ID), "active one second before");

        vm.warp(at);
        assertFalse(registry.isActive(ID), "inactive once the delay passed");
        (, active) = registry.keyDataOf(ID);
        assertFalse(active, "settlement sees it inactive");
        assertTrue(registry.isRegistered(ID), "still registered");
    }

    function test_deactivationCannotBeScheduledTwiceNorBroughtForward() public {
        register(key());
        vm.prank(PUBLISHER);
        uint64 at = registry.deactivateModel(ID);
        // Neither the publisher nor an admin can move it closer (or push it back).
        vm.prank(PUBLISHER);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.DeactivationAlreadyScheduled.selector, ID, at));
        registry.deactivateModel(ID);
        vm.warp(at + 10);
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.DeactivationAlreadyScheduled.selector, ID, at));
        registry.deactivateModel(ID);
    }

    function test_anAdminCanScheduleDeactivation() public {
        register(key());
        vm.prank(ADMIN);
        registry.deactivateModel(ID);
        assertTrue(registry.isActive(ID), "active until the delay passes");
        vm.warp(block.timestamp + DELAY);
        assertFalse(registry.isActive(ID), "inactive");
        // An unknown model cannot be deactivated.
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.ModelNotRegistered.selector, ID + 1));
        registry.deactivateModel(ID + 1);
    }

    function test_theDelayIsFixedAtDeploymentAndBounded() public {
        assertEq(registry.deactivationDelay(), DELAY, "delay");
        vm.expectRevert(
            abi.encodeWithSelector(ModelRegistry.DeactivationDelayTooLong.selector, uint256(366 days))
        );
        new ModelRegistry(ADMIN, 366 days);
        assertFalse(registry.isActive(ID), "an unregistered model is not active");
        assertEq(registry.deactivationTimeOf(ID), 0, "nothing scheduled");
    }
}
