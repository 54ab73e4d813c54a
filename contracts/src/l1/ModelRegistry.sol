// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

import {SNARK_SCALAR_FIELD} from "../common/Job.sol";
import {
    BN254_P,
    G1Point,
    G2Point,
    G2_GEN_X_IM,
    G2_GEN_X_RE,
    G2_GEN_Y_IM,
    G2_GEN_Y_RE,
    KEY_IC0,
    KEY_WORDS,
    VerifyingKey,
    ecAdd,
    ecMul,
    negateY,
    pairingCheck
} from "./Groth16.sol";

/// @title ModelRegistry
/// @notice The L1 record of every model Verity can settle proofs for: model id → Groth16 verifying key, the hashes
///         that identify the ONNX model and its circuit, the fixed-point format, the publisher and whether the model
///         still accepts settlement.
/// @dev Registration is where a key is checked, once: every point goes through the precompiles and keys that would
///      accept forged proofs are refused, so settlement can trust what it reads. The key is stored as the runtime
///      code of a small data contract (read with one EXTCODECOPY: ~2.7k gas instead of 24 cold SLOADs, ~50k gas).
///      Registration is open to anyone; the id is first come, first served, so a requester should check that the
///      model's publisher and hashes are the ones it expects (the admin can deactivate a squatted id).
///
///      Deactivation is scheduled, not instant: it takes effect `deactivationDelay` seconds after the publisher (or
///      an admin) asks for it, and the model stays active until then. Otherwise a publisher could watch provers
///      prove its jobs and deactivate the model just before their batch settles, so that settlement reverts and the
///      provers lose the work (the requesters' escrow goes back to them by refund). Sizing, for a deployment:
///      - `deactivationDelay` must cover what is already in flight when the schedule is seen: a lease
///        (the sequencer's lease timeout), the settle batch's age and its L1 inclusion and confirmations. The
///        sequencer stops taking new jobs for the model at once and leases its queued jobs only while that much time
///        is left; 1 day leaves hours of margin. It is fixed at deployment (an admin cannot shorten it).
///      - InferenceMarket's `refundDelay` (L2) must cover the L1 → L2 message latency of a release: a job settled on
///        L1 just before its deadline must be released on L2 before it becomes refundable at deadline + refundDelay.
contract ModelRegistry is AccessControl {
    /// @notice May deactivate any model (besides its publisher).
    bytes32 public constant MODEL_ADMIN_ROLE = keccak256("MODEL_ADMIN_ROLE");

    /// @notice What a model is, for humans and tools: the same facts as the circuit build's manifest.
    /// @param onnxSha256 SHA-256 of the ONNX file.
    /// @param circuitSha256 SHA-256 of the circom source (with its templates) the key was set up for.
    /// @param inputShape Input tensor shape (batch dimension excluded).
    /// @param outputShape Output tensor shape.
    /// @param inputScale Fractional bits of the fixed-point input (value = integer / 2^scale).
    /// @param outputScale Fractional bits of the fixed-point output.
    /// @param inputBits Signed bit width of each input integer.
    /// @param outputBits Signed bit width of each output integer.
    /// @param name Human name of the model.
    struct ModelInfo {
        bytes32 onnxSha256;
        bytes32 circuitSha256;
        uint32[] inputShape;
        uint32[] outputShape;
        int16 inputScale;
        int16 outputScale;
        uint8 inputBits;
        uint8 outputBits;
        string name;
    }

    /// @notice The longest deactivation delay accepted at deployment.
    uint64 public constant MAX_DEACTIVATION_DELAY = 365 days;

    /// @notice Seconds between a deactivation request and the moment the model stops accepting settlement.
    uint64 public immutable deactivationDelay;

    /// @dev Everything settlement needs sits in the first slot (one SLOAD per model per batch).
    /// @param deactivatesAt When the scheduled deactivation takes effect (0: none scheduled).
    struct Model {
        address keyData;
        uint64 deactivatesAt;
        address publisher;
        uint64 registeredAt;
    }

    mapping(uint256 modelId => Model) private _models;
    mapping(uint256 modelId => ModelInfo) private _infos;
    /// @dev A batch key and the block timestamp from which settlement may use it.
    struct BatchKey {
        address keyData;
        uint64 activatesAt;
    }

    mapping(uint256 modelId => mapping(uint256 size => BatchKey)) private _batchKeys;

    /// @notice The largest batch circuit a key may be registered for: the L2 release of a batch recomputes its
    ///         Poseidon chain and pays every job in one transaction (~195k L2 gas per job), which must fit a block.
    uint256 public constant MAX_BATCH_SIZE = 64;

    /// @notice A model was registered; its key lives in the code of `keyData`.
    event ModelRegistered(
        uint256 indexed modelId,
        address indexed publisher,
        address keyData,
        bytes32 onnxSha256,
        bytes32 circuitSha256,
        string name
    );
    /// @notice The publisher registered the key of the model's batch circuit of `size` slots (r1cs `circuitSha256`).
    ///         Settlement may use it from `activatesAt`.
    event BatchKeyRegistered(
        uint256 indexed modelId, uint256 indexed size, address keyData, bytes32 circuitSha256, uint64 activatesAt
    );
    /// @notice The model's deactivation was scheduled by its publisher or an admin (`by`): it stops accepting
    ///         settlement at `deactivatesAt` (a block timestamp) and stays active until then.
    event ModelDeactivationScheduled(uint256 indexed modelId, address indexed by, uint64 deactivatesAt);

    /// @notice The model id is not a field element (the circuit could never produce it as a signal).
    error ModelIdOutOfField(uint256 modelId);
    /// @notice The model id is taken.
    error ModelAlreadyRegistered(uint256 modelId);
    /// @notice No model has this id.
    error ModelNotRegistered(uint256 modelId);
    /// @notice The model's deactivation is already scheduled (or in effect) for `deactivatesAt`.
    error DeactivationAlreadyScheduled(uint256 modelId, uint64 deactivatesAt);
    /// @notice The deactivation delay exceeds MAX_DEACTIVATION_DELAY.
    error DeactivationDelayTooLong(uint256 delay);
    /// @notice Only the publisher or a MODEL_ADMIN_ROLE holder may deactivate the model.
    error NotPublisherOrAdmin(uint256 modelId, address caller);
    /// @notice The key has `count` IC points; Verity circuits have 5 public signals, hence 6 (batch circuits: 3, hence 4).
    error WrongIcCount(uint256 count);
    /// @notice A key point is the point at infinity (`which`: "alpha", "beta", "gamma", "delta", "ic0".."ic5").
    error PointAtInfinity(string which);
    /// @notice A key point is not a valid curve point (coordinate ≥ p, off the curve, or G2 outside the subgroup).
    error MalformedPoint(string which);
    /// @notice δ₂ = ±γ₂: the setup had no phase-2 contribution and anyone can forge proofs (A=α, B=β, C=∓vk_x).
    error DeltaEqualsGamma();
    /// @notice δ₂ = ±the G2 generator: δ was never randomized, its discrete log is known, proofs can be forged.
    error DeltaIsGenerator();
    /// @notice Only the model's publisher may register its batch keys.
    error NotPublisher(uint256 modelId, address caller);
    /// @notice A batch key's size must lie in [1, MAX_BATCH_SIZE].
    error BatchSizeOutOfRange(uint256 size);
    /// @notice The model already has a batch key of this size.
    error BatchKeyAlreadyRegistered(uint256 modelId, uint256 size);
    /// @notice Creating the key's data contract failed.
    error KeyStoreFailed();

    /// @param admin Receives DEFAULT_ADMIN_ROLE and MODEL_ADMIN_ROLE.
    /// @param deactivationDelay_ Seconds from a deactivation request to its effect (see the contract's sizing notes).
    constructor(address admin, uint64 deactivationDelay_) {
        if (deactivationDelay_ > MAX_DEACTIVATION_DELAY) revert DeactivationDelayTooLong(deactivationDelay_);
        deactivationDelay = deactivationDelay_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MODEL_ADMIN_ROLE, admin);
    }

    /// @notice Registers model `modelId` with its Groth16 verifying key and metadata; the caller becomes its publisher.
    /// @dev `modelId` must be the value the circuit pins public signal 0 to (the key is only ever used with it, and
    ///      IC₀ + modelId·IC₁ is folded into one point here). Refused: an id ≥ r or already used, an IC count other
    ///      than 6, any point at infinity or malformed, δ₂ = ±γ₂ or ±the generator. γ₂ = the G2 generator is
    ///      accepted: snarkjs fixes γ = 1 in every key and randomizes only δ in phase 2, which is sound because the
    ///      proof's private terms are divided by δ, whose discrete log nobody knows after an honest contribution.
    /// @param modelId The circuit's model id (public signal 0).
    /// @param vk The verifying key, G2 points in precompile order (imaginary part first).
    /// @param info The model's metadata.
    function registerModel(uint256 modelId, VerifyingKey calldata vk, ModelInfo calldata info) external {
        if (modelId >= SNARK_SCALAR_FIELD) revert ModelIdOutOfField(modelId);
        if (_models[modelId].keyData != address(0)) revert ModelAlreadyRegistered(modelId);
        if (vk.ic.length != 6) revert WrongIcCount(vk.ic.length);
        (uint256 fx, uint256 fy) = _checkKey(vk, modelId);

        address keyData = _storeKey(_encodeKey(vk, fx, fy));
        _models[modelId] =
            Model({keyData: keyData, deactivatesAt: 0, publisher: msg.sender, registeredAt: uint64(block.timestamp)});
        ModelInfo storage stored = _infos[modelId];
        stored.onnxSha256 = info.onnxSha256;
        stored.circuitSha256 = info.circuitSha256;
        stored.inputShape = info.inputShape;
        stored.outputShape = info.outputShape;
        stored.inputScale = info.inputScale;
        stored.outputScale = info.outputScale;
        stored.inputBits = info.inputBits;
        stored.outputBits = info.outputBits;
        stored.name = info.name;
        emit ModelRegistered(modelId, msg.sender, keyData, info.onnxSha256, info.circuitSha256, info.name);
    }

    /// @notice Registers the verifying key of model `modelId`'s batch circuit of `size` slots (circuits/src/batch:
    ///         `size` copies of the model, public signals modelId, count, batchHash), so InferenceSettlement can settle
    ///         up to `size` of its jobs with one proof.
    /// @dev Publisher only, once per size: a batch key is trusted exactly like the model key (it says "these are
    ///      inferences of this model"), so only whoever vouched for the model may add one, and `circuitSha256` (the
    ///      batch r1cs's SHA-256, which anyone can rebuild from the model) is recorded for requesters to check. The
    ///      key gets every check `registerModel` makes, with 4 IC points. It becomes usable `deactivationDelay`
    ///      after registration: a key added under jobs already open cannot settle them before anyone watching could
    ///      check it against the model and have an admin deactivate the model.
    /// @param modelId A registered model.
    /// @param size The batch circuit's slot count K, in [1, MAX_BATCH_SIZE].
    /// @param vk The batch circuit's verifying key, G2 points in precompile order.
    /// @param circuitSha256 SHA-256 of the batch circuit's r1cs.
    function registerBatchKey(uint256 modelId, uint256 size, VerifyingKey calldata vk, bytes32 circuitSha256) external {
        Model storage model = _models[modelId];
        if (model.keyData == address(0)) revert ModelNotRegistered(modelId);
        if (msg.sender != model.publisher) revert NotPublisher(modelId, msg.sender);
        if (size == 0 || size > MAX_BATCH_SIZE) revert BatchSizeOutOfRange(size);
        if (_batchKeys[modelId][size].keyData != address(0)) revert BatchKeyAlreadyRegistered(modelId, size);
        if (vk.ic.length != 4) revert WrongIcCount(vk.ic.length);
        (uint256 fx, uint256 fy) = _checkKey(vk, modelId);
        address keyData = _storeKey(
            bytes.concat(abi.encode(vk.alpha1, vk.beta2, vk.gamma2, vk.delta2, fx, fy), abi.encode(vk.ic[2], vk.ic[3]))
        );
        uint64 activatesAt = uint64(block.timestamp) + deactivationDelay;
        _batchKeys[modelId][size] = BatchKey({keyData: keyData, activatesAt: activatesAt});
        emit BatchKeyRegistered(modelId, size, keyData, circuitSha256, activatesAt);
    }

    /// @notice The batch key of `size` slots for model `modelId`, and whether settlement may use it: the key's
    ///         activation time has come and the model accepts settlement.
    /// @return keyData The data contract holding the batch key (zero if none is registered).
    /// @return active Whether settlement may use the key now.
    /// @return activatesAt When the key becomes (or became) usable (0 if none is registered).
    function batchKeyDataOf(uint256 modelId, uint256 size)
        external
        view
        returns (address keyData, bool active, uint64 activatesAt)
    {
        BatchKey storage key = _batchKeys[modelId][size];
        (keyData, activatesAt) = (key.keyData, key.activatesAt);
        active = keyData != address(0) && block.timestamp >= activatesAt && _activeAt(_models[modelId].deactivatesAt);
    }

    /// @notice Schedules model `modelId` to stop accepting settlement `deactivationDelay` seconds from now; until
    ///         then it stays active, so jobs already proven can settle. Already settled batches are unaffected.
    /// @dev Publisher or MODEL_ADMIN_ROLE only. Irreversible: a model that was withdrawn (a broken circuit, a leaked
    ///      setup) must be registered again under a new circuit and id.
    /// @return deactivatesAt The block timestamp from which the model is inactive.
    function deactivateModel(uint256 modelId) external returns (uint64 deactivatesAt) {
        Model storage model = _models[modelId];
        if (model.keyData == address(0)) revert ModelNotRegistered(modelId);
        if (msg.sender != model.publisher && !hasRole(MODEL_ADMIN_ROLE, msg.sender)) {
            revert NotPublisherOrAdmin(modelId, msg.sender);
        }
        if (model.deactivatesAt != 0) revert DeactivationAlreadyScheduled(modelId, model.deactivatesAt);
        deactivatesAt = uint64(block.timestamp) + deactivationDelay;
        model.deactivatesAt = deactivatesAt;
        emit ModelDeactivationScheduled(modelId, msg.sender, deactivatesAt);
    }

    /// @notice Whether the model is registered and accepts settlement (true until a scheduled deactivation takes
    ///         effect).
    function isActive(uint256 modelId) external view returns (bool) {
        Model storage model = _models[modelId];
        return model.keyData != address(0) && _activeAt(model.deactivatesAt);
    }

    /// @notice When the model's scheduled deactivation takes effect (a block timestamp), or 0 if none is scheduled.
    function deactivationTimeOf(uint256 modelId) external view returns (uint64) {
        return _models[modelId].deactivatesAt;
    }

    /// @notice Whether the model was ever registered (active or not).
    function isRegistered(uint256 modelId) external view returns (bool) {
        return _models[modelId].keyData != address(0);
    }

    /// @notice The address that registered the model (zero if none).
    function publisherOf(uint256 modelId) external view returns (address) {
        return _models[modelId].publisher;
    }

    /// @notice The model's key data contract and active flag in one read: what settlement needs per model.
    /// @return keyData The data contract holding the key (zero if the model is not registered).
    /// @return active Whether the model accepts settlement.
    function keyDataOf(uint256 modelId) external view returns (address keyData, bool active) {
        Model storage model = _models[modelId];
        keyData = model.keyData;
        active = keyData != address(0) && _activeAt(model.deactivatesAt);
    }

    /// @dev Active while no deactivation is scheduled or before it takes effect.
    function _activeAt(uint64 deactivatesAt) private view returns (bool) {
        return deactivatesAt == 0 || block.timestamp < deactivatesAt;
    }

    /// @notice The model's verifying key as registered (IC₀ as given, not folded), G2 in precompile order.
    function verifyingKeyOf(uint256 modelId) external view returns (VerifyingKey memory vk) {
        address keyData = _models[modelId].keyData;
        if (keyData == address(0)) revert ModelNotRegistered(modelId);
        uint256[KEY_WORDS] memory w;
        assembly ("memory-safe") {
            extcodecopy(keyData, w, 1, mul(KEY_WORDS, 0x20))
        }
        vk.alpha1 = G1Point(w[0], w[1]);
        vk.beta2 = G2Point([w[2], w[3]], [w[4], w[5]]);
        vk.gamma2 = G2Point([w[6], w[7]], [w[8], w[9]]);
        vk.delta2 = G2Point([w[10], w[11]], [w[12], w[13]]);
        vk.ic = new G1Point[](6);
        vk.ic[0] = G1Point(w[KEY_IC0], w[KEY_IC0 + 1]);
        vk.ic[1] = G1Point(w[KEY_IC0 + 2], w[KEY_IC0 + 3]);
        for (uint256 j = 2; j < 6; ++j) {
            vk.ic[j] = G1Point(w[16 + 2 * (j - 2)], w[17 + 2 * (j - 2)]);
        }
    }

    /// @notice The model's metadata.
    function modelInfoOf(uint256 modelId) external view returns (ModelInfo memory) {
        if (_models[modelId].keyData == address(0)) revert ModelNotRegistered(modelId);
        return _infos[modelId];
    }

    /// @notice When the model was registered (0 if it was not).
    function registeredAt(uint256 modelId) external view returns (uint64) {
        return _models[modelId].registeredAt;
    }

    /// @dev Every check of a verifying key (points canonical, on the curve and in the subgroup, not infinity, δ₂ not
    ///      ±γ₂ nor ±the generator), then IC₀' = IC₀ + modelId·IC₁: modelId is public signal 0 of every Verity circuit.
    function _checkKey(VerifyingKey calldata vk, uint256 modelId) private view returns (uint256 fx, uint256 fy) {
        _checkG1(vk.alpha1, "alpha");
        for (uint256 i = 0; i < vk.ic.length; ++i) {
            _checkG1(vk.ic[i], _icName(i));
        }
        _checkG2Encoding(vk.beta2, "beta");
        _checkG2Encoding(vk.gamma2, "gamma");
        _checkG2Encoding(vk.delta2, "delta");
        if (_g2Equal(vk.delta2, vk.gamma2) || _g2Equal(vk.delta2, _g2Negate(vk.gamma2))) revert DeltaEqualsGamma();
        if (_isGenerator(vk.delta2) || _isGenerator(_g2Negate(vk.delta2))) revert DeltaIsGenerator();
        _checkG2Points(vk);

        (bool ok, uint256 mx, uint256 my) = ecMul(vk.ic[1].x, vk.ic[1].y, modelId);
        if (ok) (ok, fx, fy) = ecAdd(vk.ic[0].x, vk.ic[0].y, mx, my);
        if (!ok) revert MalformedPoint("ic0");
    }

    /// @dev A G1 point must be encoded canonically, not be infinity, and lie on the curve (ecMul by 1 fails
    ///      otherwise; BN254's G1 has cofactor 1, so on the curve means in the group).
    function _checkG1(G1Point calldata p, string memory which) private view {
        if (p.x == 0 && p.y == 0) revert PointAtInfinity(which);
        if (p.x >= BN254_P || p.y >= BN254_P) revert MalformedPoint(which);
        (bool ok,,) = ecMul(p.x, p.y, 1);
        if (!ok) revert MalformedPoint(which);
    }

    /// @dev Canonical coordinates (so equal points have equal words) and not infinity; curve membership is checked
    ///      by the pairing in _checkG2Points.
    function _checkG2Encoding(G2Point calldata p, string memory which) private pure {
        if (p.x[0] == 0 && p.x[1] == 0 && p.y[0] == 0 && p.y[1] == 0) revert PointAtInfinity(which);
        if (p.x[0] >= BN254_P || p.x[1] >= BN254_P || p.y[0] >= BN254_P || p.y[1] >= BN254_P) {
            revert MalformedPoint(which);
        }
    }

    /// @dev e(G, X) · e(−G, X) = 1 holds for every valid X, and the pairing precompile refuses any X off the twist
    ///      or outside the r-order subgroup; one call with three such pairs of pairs validates β₂, γ₂ and δ₂. If it
    ///      fails, each point is tried alone to name the culprit.
    function _checkG2Points(VerifyingKey calldata vk) private view {
        G2Point[3] memory points;
        points[0] = vk.beta2;
        points[1] = vk.gamma2;
        points[2] = vk.delta2;
        if (_pairsCancel(points, 3)) return;
        string[3] memory names = ["beta", "gamma", "delta"];
        for (uint256 k = 0; k < 3; ++k) {
            G2Point[3] memory one;
            one[0] = points[k];
            if (!_pairsCancel(one, 1)) revert MalformedPoint(names[k]);
        }
        revert MalformedPoint("beta");
    }

    function _pairsCancel(G2Point[3] memory points, uint256 count) private view returns (bool) {
        uint256[] memory input = new uint256[](12 * count);
        for (uint256 k = 0; k < count; ++k) {
            G2Point memory q = points[k];
            uint256 o = 12 * k;
            // (G1 generator, Q) then (−G1 generator, Q).
            input[o] = 1;
            input[o + 1] = 2;
            input[o + 6] = 1;
            input[o + 7] = BN254_P - 2;
            input[o + 2] = input[o + 8] = q.x[0];
            input[o + 3] = input[o + 9] = q.x[1];
            input[o + 4] = input[o + 10] = q.y[0];
            input[o + 5] = input[o + 11] = q.y[1];
        }
        uint256 at;
        assembly ("memory-safe") {
            at := add(input, 0x20)
        }
        return pairingCheck(at, 2 * count);
    }

    function _g2Equal(G2Point memory p, G2Point memory q) private pure returns (bool) {
        return p.x[0] == q.x[0] && p.x[1] == q.x[1] && p.y[0] == q.y[0] && p.y[1] == q.y[1];
    }

    /// @dev −(x, y) = (x, −y), with −y taken coefficient-wise in Fp2.
    function _g2Negate(G2Point memory p) private pure returns (G2Point memory) {
        return G2Point(p.x, [negateY(p.y[0]), negateY(p.y[1])]);
    }

    function _isGenerator(G2Point memory p) private pure returns (bool) {
        return p.x[0] == G2_GEN_X_IM && p.x[1] == G2_GEN_X_RE && p.y[0] == G2_GEN_Y_IM && p.y[1] == G2_GEN_Y_RE;
    }

    function _icName(uint256 i) private pure returns (string memory) {
        return string.concat("ic", string(abi.encodePacked(bytes1(uint8(48 + i)))));
    }

    /// @dev The stored layout (see KEY_* in Groth16.sol): α, β, γ, δ, IC₀', IC₂..IC₅, then IC₀, IC₁.
    function _encodeKey(VerifyingKey calldata vk, uint256 fx, uint256 fy) private pure returns (bytes memory) {
        return bytes.concat(
            abi.encode(vk.alpha1, vk.beta2, vk.gamma2, vk.delta2, fx, fy),
            abi.encode(vk.ic[2], vk.ic[3], vk.ic[4], vk.ic[5], vk.ic[0], vk.ic[1])
        );
    }

    /// @dev A minimal "SSTORE2": creates a contract whose runtime code is 0x00 (STOP, so calling it does nothing)
    ///      followed by `data`. The 12-byte init code copies everything after itself into memory and returns it:
    ///      PUSH2 len, DUP1, PUSH1 12, PUSH1 0, CODECOPY, PUSH1 0, RETURN.
    function _storeKey(bytes memory data) private returns (address keyData) {
        bytes memory init = abi.encodePacked(hex"61", uint16(data.length + 1), hex"80600c6000396000f3", hex"00", data);
        assembly ("memory-safe") {
            keyData := create(0, add(init, 0x20), mload(init))
        }
        if (keyData == address(0)) revert KeyStoreFailed();
    }
}
