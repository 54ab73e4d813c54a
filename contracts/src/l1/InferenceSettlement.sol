// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {
    ICrossDomainMessenger,
    IL1MessengerPortal,
    IOptimismPortalDeposits,
    ISettledBatchReceiver
} from "../common/ICrossDomainMessenger.sol";
import {Job, SNARK_SCALAR_FIELD} from "../common/Job.sol";
import {
    BATCH_KEY_WORDS,
    BN254_P,
    EC_ADD_GAS,
    EC_MUL_GAS,
    KEY_ALPHA,
    KEY_BETA,
    KEY_DELTA,
    KEY_GAMMA,
    KEY_IC0_FOLDED,
    KEY_IC_SIGNALS,
    KEY_VERIFY_WORDS,
    PrecompileGasShort,
    Proof,
    ecAdd,
    ecMul,
    loadBatchKeyWords,
    loadVerifyingWords,
    pairingCheck,
    verifyBatchGroth16,
    verifyGroth16,
    writePair
} from "./Groth16.sol";
import {ModelRegistry} from "./ModelRegistry.sol";

/// @title InferenceSettlement
/// @notice Verifies batches of Verity inference proofs on L1 and tells the L2 market, through the OP messenger,
///         which jobs were proven so it can release their escrow.
/// @dev A batch is checked with one pairing call by random linear combination (n + 3 pairings per model instead of
///      4n). The batch itself is not stored: one counter write per batch, the jobs' hash in an event and in the one
///      L1 → L2 message. Nothing is keyed on a proof's bytes (Groth16 proofs are malleable); double payment is
///      prevented on L2, per job id.
contract InferenceSettlement {
    /// @notice Where verifying keys and model status come from.
    ModelRegistry public immutable registry;
    /// @notice The L1CrossDomainMessenger of the OP Stack chain the market lives on.
    ICrossDomainMessenger public immutable messenger;
    /// @notice The InferenceMarket on L2 that receives `recordSettledBatch`.
    address public immutable l2Market;
    /// @notice L2 gas the release message asks for. The OP portal burns L1 gas in proportion to it, so it is sized
    ///         for `recordSettledBatch` (two storage writes), which is O(1) in the batch size.
    uint32 public immutable releaseGasLimit;
    /// @notice L2 gas of the deposit that records a proven batch (at least; a resend may ask for more): the deposit's intrinsic gas and calldata (~23k) and
    ///         `recordProvenBatch` (three new storage slots and an event, ~80k): ~105k, with headroom (a deposit that
    ///         runs out of gas on L2 is not retried by itself; see `resendProvenBatch`).
    uint64 public constant PROVEN_RECORD_GAS_LIMIT = 150_000;
    /// @notice Batches settled so far; the last batch id.
    uint256 public batchCount;
    /// @notice keccak256(abi.encode(modelId, batchHash, jobCount)) of each batch settled by a batch proof: what
    ///         `resendProvenBatch` may deposit again (a deposit that failed on L2 is not replayed by anyone else).
    mapping(uint256 batchId => bytes32 record) public provenBatchRecord;

    /// @dev One model's share of a batch: its key and the running sums of the random linear combination. Plain
    ///      value fields after `key`, at fixed offsets, because the per-proof loop updates them in assembly.
    struct BatchModel {
        uint256 modelId; // 0x00
        uint256 firstIndex; // 0x20
        uint256[KEY_VERIFY_WORDS] key; // 0x40 (pointer)
        // Σ rᵢ (mod r): the coefficient of α (against β) and of IC₀' in vk_x.
        uint256 sumR; // 0x60
        // Σ rᵢ·sᵢⱼ (mod r) for the signals inputCommitment, outputCommitment, jobId, prover (IC₂..IC₅).
        uint256 t0; // 0x80
        uint256 t1; // 0xa0
        uint256 t2; // 0xc0
        uint256 t3; // 0xe0
        // Σ rᵢ·Cᵢ, paired with δ (ecAdd writes both words at once).
        uint256 cx; // 0x100
        uint256 cy; // 0x120
    }

    /// @notice Batch `batchId` of `jobCount` jobs, `batchHash = keccak256(abi.encode(jobs))`, was verified and sent to L2.
    event BatchSettled(uint256 indexed batchId, bytes32 batchHash, uint256 jobCount);

    /// @notice Batch `batchId`: one batch proof for `jobCount` jobs of model `modelId` (batch circuit of `size` slots)
    ///         whose Poseidon chain hash is `batchHash`, verified and sent to L2.
    event ProvenBatchSettled(
        uint256 indexed batchId, uint256 indexed modelId, uint256 size, uint256 jobCount, uint256 batchHash
    );

    /// @notice The record of proven batch `batchId` was deposited to L2 again.
    event ProvenBatchResent(uint256 indexed batchId);

    /// @notice A batch needs at least one job.
    error EmptyBatch();
    /// @notice Every job needs exactly one proof.
    error LengthMismatch(uint256 jobs, uint256 proofs);
    /// @notice Public signal `signal` (0 = modelId … 3 = jobId) of job `index` is not below the field modulus r.
    error SignalOutOfField(uint256 index, uint256 signal);
    /// @notice Job `index` names a model that was never registered.
    error ModelNotRegistered(uint256 index, uint256 modelId);
    /// @notice Job `index` names a deactivated model.
    error ModelNotActive(uint256 index, uint256 modelId);
    /// @notice Job `index` names the zero address as prover: nobody could be paid.
    error ZeroProver(uint256 index);
    /// @notice The proof of job `index` (the first bad one) does not verify: drop it and settle the rest.
    error InvalidProof(uint256 index);
    /// @notice The model has no batch key of this size.
    error BatchKeyNotRegistered(uint256 modelId, uint256 size);
    /// @notice The batch key is not usable now: its activation delay has not passed, or the model stopped accepting
    ///         settlement.
    error BatchKeyNotActive(uint256 modelId, uint256 size);
    /// @notice A batch proof covers 1 to `size` jobs.
    error BatchCountOutOfRange(uint256 count, uint256 size);
    /// @notice No batch proof settled batch `batchId` with these fields.
    error ProvenBatchUnknown(uint256 batchId);
    /// @notice A resent record must have at least the first deposit's L2 gas.
    error RecordGasTooLow(uint64 gasLimit, uint64 minimum);
    /// @notice The batch proof does not verify for these public signals.
    error InvalidBatchProof();

    /// @param registry_ The L1 model registry.
    /// @param messenger_ The L1CrossDomainMessenger (proxy) of the Verity L2.
    /// @param l2Market_ The InferenceMarket on L2.
    /// @param releaseGasLimit_ The L2 gas limit of the `recordSettledBatch` message.
    constructor(ModelRegistry registry_, ICrossDomainMessenger messenger_, address l2Market_, uint32 releaseGasLimit_) {
        registry = registry_;
        messenger = messenger_;
        l2Market = l2Market_;
        releaseGasLimit = releaseGasLimit_;
    }

    /// @notice Verifies a batch of proofs and, if all hold, records the batch and sends one message to the L2 market.
    /// @dev Checks: non-empty, equal lengths, every signal < r, every model registered and active. Then one pairing
    ///      check of ∏ᵢ e(−rᵢ·Aᵢ, Bᵢ) · ∏ₘ [e((Σrᵢ)·α, β) · e(Σrᵢ·vk_x,ᵢ, γ) · e(Σrᵢ·Cᵢ, δ)] = 1 with 128-bit
    ///      challenges rᵢ = keccak256(keccak256(batch ‖ proofs), i) >> 128, fixed by everything the caller sent, so
    ///      they cannot be chosen to cancel a bad proof (a false batch passes with probability ≈ 2⁻¹²⁸ per try).
    ///      Model terms that share a G2 point (same β from one powers of tau, the same γ in every snarkjs key) are
    ///      merged into one pairing. If the batch fails, each proof is checked alone, in order, and the first bad
    ///      one is named; if none is bad the batch is accepted, as every proof verified.
    /// @param jobs The jobs: each one's five public signals.
    /// @param proofs One proof per job, G2 in precompile order.
    /// @return batchId The id of the new batch (1, 2, …).
    function settleBatch(Job[] calldata jobs, Proof[] calldata proofs) external returns (uint256 batchId) {
        uint256 n = jobs.length;
        if (n == 0) revert EmptyBatch();
        if (proofs.length != n) revert LengthMismatch(n, proofs.length);
        // First, while memory is empty: the hashes use the free memory as scratch.
        (bytes32 batchHash, bytes32 seed) = _hashBatch(jobs, proofs);
        (uint256[] memory modelOf, BatchModel[] memory models) = _loadModels(jobs);

        if (!_verifyBatch(jobs, proofs, modelOf, models, seed)) {
            for (uint256 i = 0; i < n; ++i) {
                if (!verifyGroth16(models[modelOf[i]].key, jobs[i], proofs[i])) revert InvalidProof(i);
            }
        }

        batchId = ++batchCount;
        emit BatchSettled(batchId, batchHash, n);
        messenger.sendMessage(
            l2Market, abi.encodeCall(ISettledBatchReceiver.recordSettledBatch, (batchId, batchHash, n)), releaseGasLimit
        );
    }

    /// @notice Verifies one batch proof for `count` jobs of `modelId` (batch circuit of `size` slots) and sends L2
    ///         the batch hash to pay them against. L1 never sees the jobs: the proof binds the ordered list of their
    ///         (jobId, prover, inputCommitment, outputCommitment) to `batchHash`, and the L2 market recomputes that
    ///         hash from its own records before paying (InferenceMarket.releaseProvenBatch). The cost is one
    ///         verification and one message whatever the count.
    /// @dev A replayed proof only records another batch with the same hash: L2 pays each job once, by job id.
    /// @return batchId The id of the new batch (shared with `settleBatch`).
    function settleProvenBatch(uint256 modelId, uint256 size, uint256 count, uint256 batchHash, Proof calldata proof)
        external
        returns (uint256 batchId)
    {
        if (modelId >= SNARK_SCALAR_FIELD) revert SignalOutOfField(0, 0);
        if (count == 0 || count > size) revert BatchCountOutOfRange(count, size);
        if (batchHash >= SNARK_SCALAR_FIELD) revert SignalOutOfField(0, 2);
        (address keyData, bool active,) = registry.batchKeyDataOf(modelId, size);
        if (keyData == address(0)) revert BatchKeyNotRegistered(modelId, size);
        if (!active) revert BatchKeyNotActive(modelId, size);
        uint256[BATCH_KEY_WORDS] memory key = loadBatchKeyWords(keyData);
        if (!verifyBatchGroth16(key, count, batchHash, proof)) revert InvalidBatchProof();

        batchId = ++batchCount;
        provenBatchRecord[batchId] = keccak256(abi.encode(modelId, batchHash, count));
        emit ProvenBatchSettled(batchId, modelId, size, count, batchHash);
        _depositProvenRecord(batchId, modelId, batchHash, count, PROVEN_RECORD_GAS_LIMIT);
    }

    /// @notice Deposits the L2 record of proven batch `batchId` again, for a first deposit that failed on L2 (the
    ///         market records a batch once; the same record again is a no-op). Anyone may pay for it, and may ask for
    ///         more L2 gas than the first deposit had (an L2 that repriced storage), never less.
    function resendProvenBatch(uint256 batchId, uint256 modelId, uint256 batchHash, uint256 count, uint64 gasLimit)
        external
    {
        bytes32 record = provenBatchRecord[batchId];
        if (record == bytes32(0) || record != keccak256(abi.encode(modelId, batchHash, count))) {
            revert ProvenBatchUnknown(batchId);
        }
        if (gasLimit < PROVEN_RECORD_GAS_LIMIT) revert RecordGasTooLow(gasLimit, PROVEN_RECORD_GAS_LIMIT);
        emit ProvenBatchResent(batchId);
        _depositProvenRecord(batchId, modelId, batchHash, count, gasLimit);
    }

    /// @notice The messenger's OptimismPortal, read at each use (the messenger proxy names its current portal): a
    ///         proven batch is recorded on L2 by a deposit transaction from this contract (the market authenticates
    ///         its aliased address), not a messenger message. The portal burns L1 gas for the L2 gas a deposit asks
    ///         for, and the messenger asks for ~285k of its own overhead per message (~450k burned on an L1 below
    ///         1 gwei); a direct deposit asks only for what `recordProvenBatch` needs.
    function portal() public view returns (IOptimismPortalDeposits) {
        return IOptimismPortalDeposits(IL1MessengerPortal(address(messenger)).portal());
    }

    function _depositProvenRecord(uint256 batchId, uint256 modelId, uint256 batchHash, uint256 count, uint64 gasLimit)
        private
    {
        portal().depositTransaction(
            l2Market,
            0,
            gasLimit,
            false,
            abi.encodeCall(ISettledBatchReceiver.recordProvenBatch, (batchId, modelId, batchHash, count))
        );
    }

    /// @notice Checks one proof alone (4 pairings) against its model's registered key.
    /// @dev False for a signal ≥ r, an unregistered model or a malformed point. Ignores whether the model is still
    ///      active: that is settlement policy, not proof validity.
    function verifyProof(Job calldata job, Proof calldata proof) external view returns (bool) {
        if (job.modelId >= SNARK_SCALAR_FIELD) return false;
        (address keyData,) = registry.keyDataOf(job.modelId);
        if (keyData == address(0)) return false;
        return verifyGroth16(loadVerifyingWords(keyData), job, proof);
    }

    /// @notice The hash L2 checks a release against: `keccak256(abi.encode(jobs))`.
    function hashJobs(Job[] calldata jobs) external pure returns (bytes32) {
        return keccak256(abi.encode(jobs));
    }

    /// @dev batchHash = keccak256(abi.encode(jobs)) and the challenge seed = keccak256(abi.encode(jobs) ‖ proofs),
    ///      from one copy of the calldata (Job and Proof are static, so both arrays are contiguous words). Job words
    ///      are hashed raw: a job whose `prover` word has dirty high bits is refused later, when it is read.
    function _hashBatch(Job[] calldata jobs, Proof[] calldata proofs)
        internal
        pure
        returns (bytes32 batchHash, bytes32 seed)
    {
        assembly ("memory-safe") {
            let n := jobs.length
            let m := mload(0x40)
            mstore(m, 0x20)
            mstore(add(m, 0x20), n)
            let jobBytes := mul(n, 0xa0)
            calldatacopy(add(m, 0x40), jobs.offset, jobBytes)
            batchHash := keccak256(m, add(0x40, jobBytes))
            calldatacopy(add(add(m, 0x40), jobBytes), proofs.offset, mul(n, 0x100))
            seed := keccak256(m, add(add(0x40, jobBytes), mul(n, 0x100)))
        }
    }

    /// @dev Checks the signals, groups jobs by model (in order of first appearance) and loads each model's key.
    function _loadModels(Job[] calldata jobs)
        internal
        view
        returns (uint256[] memory modelOf, BatchModel[] memory models)
    {
        uint256 n = jobs.length;
        modelOf = new uint256[](n);
        uint256[] memory ids = new uint256[](n);
        uint256[] memory first = new uint256[](n);
        uint256 count = 0;
        for (uint256 i = 0; i < n; ++i) {
            Job calldata job = jobs[i];
            uint256 id = job.modelId;
            if (id >= SNARK_SCALAR_FIELD) revert SignalOutOfField(i, 0);
            if (job.inputCommitment >= SNARK_SCALAR_FIELD) revert SignalOutOfField(i, 1);
            if (job.outputCommitment >= SNARK_SCALAR_FIELD) revert SignalOutOfField(i, 2);
            if (job.jobId >= SNARK_SCALAR_FIELD) revert SignalOutOfField(i, 3);
            // Reading the prover through the ABI decoder refuses a word with dirty high bits (as L2's decoder will);
            // the assembly loop later reads the raw word.
            if (job.prover == address(0)) revert ZeroProver(i);
            uint256 k = 0;
            while (k < count && ids[k] != id) ++k;
            if (k == count) {
                ids[k] = id;
                first[k] = i;
                ++count;
            }
            modelOf[i] = k;
        }
        models = new BatchModel[](count);
        for (uint256 k = 0; k < count; ++k) {
            (address keyData, bool active) = registry.keyDataOf(ids[k]);
            if (keyData == address(0)) revert ModelNotRegistered(first[k], ids[k]);
            if (!active) revert ModelNotActive(first[k], ids[k]);
            BatchModel memory model = models[k];
            model.modelId = ids[k];
            model.firstIndex = first[k];
            model.key = loadVerifyingWords(keyData);
        }
    }

    /// @dev The batch pairing check. False (never a revert) on a failed check or a malformed point.
    function _verifyBatch(
        Job[] calldata jobs,
        Proof[] calldata proofs,
        uint256[] memory modelOf,
        BatchModel[] memory models,
        bytes32 seed
    ) internal view returns (bool) {
        (bool ok, uint256 input, uint256 pairs) = _batchPairs(jobs, proofs, modelOf, models, seed);
        return ok && pairingCheck(input, pairs);
    }

    /// @dev Builds the batch's pairing input at `input`: n proof pairs, then the model terms (merged where they share
    ///      a G2 point), `pairs` in all. `ok` is false if a precompile refused a point on the way.
    function _batchPairs(
        Job[] calldata jobs,
        Proof[] calldata proofs,
        uint256[] memory modelOf,
        BatchModel[] memory models,
        bytes32 seed
    ) internal view returns (bool ok, uint256 input, uint256 pairs) {
        uint256 n = jobs.length;
        // n proof pairs, then at most 3 pairs per model.
        assembly ("memory-safe") {
            input := mload(0x40)
            mstore(0x40, add(input, mul(add(n, mul(3, mload(models))), 0xc0)))
        }
        for (uint256 i = 0; i < n; ++i) {
            uint256 r = _challenge(seed, i);
            if (!_accumulate(models[modelOf[i]], jobs[i], proofs[i], r, input + i * 0xc0)) return (false, input, 0);
        }
        pairs = n;
        for (uint256 k = 0; k < models.length; ++k) {
            (ok, pairs) = _appendModelTerms(models[k], input, n, pairs);
            if (!ok) return (false, input, 0);
        }
    }

    /// @dev Adds proof i to the combination: writes the pair (−rᵢ·Aᵢ, Bᵢ) at `pair`, adds rᵢ·Cᵢ and rᵢ·sᵢ to its
    ///      model's sums. This is the loop body run once per proof, so it is one assembly block: two ecMul and one
    ///      ecAdd at their exact prices, with one gas check for all three (see PrecompileGasShort).
    function _accumulate(BatchModel memory model, Job calldata job, Proof calldata proof, uint256 r, uint256 pair)
        private
        view
        returns (bool ok)
    {
        // 2 ecMul + 1 ecAdd, the 63/64 rule on the first call, and the code between them.
        if (gasleft() < 13_000) revert PrecompileGasShort();
        assembly ("memory-safe") {
            let R := SNARK_SCALAR_FIELD
            mstore(add(model, 0x60), addmod(mload(add(model, 0x60)), r, R))
            mstore(add(model, 0x80), addmod(mload(add(model, 0x80)), mulmod(r, calldataload(add(job, 0x20)), R), R))
            mstore(add(model, 0xa0), addmod(mload(add(model, 0xa0)), mulmod(r, calldataload(add(job, 0x40)), R), R))
            mstore(add(model, 0xc0), addmod(mload(add(model, 0xc0)), mulmod(r, calldataload(add(job, 0x60)), R), R))
            mstore(add(model, 0xe0), addmod(mload(add(model, 0xe0)), mulmod(r, calldataload(add(job, 0x80)), R), R))

            let ax := calldataload(proof)
            let ay := calldataload(add(proof, 0x20))
            let cx := calldataload(add(proof, 0xc0))
            let cy := calldataload(add(proof, 0xe0))
            // Coordinates ≥ p would make the negation wrong (and the precompiles refuse them anyway).
            ok := and(and(lt(ax, BN254_P), lt(ay, BN254_P)), and(lt(cx, BN254_P), lt(cy, BN254_P)))
            if ok {
                // rᵢ·(−Aᵢ) computed in place, then Bᵢ copied after it: the pair is complete.
                mstore(pair, ax)
                mstore(add(pair, 0x20), mul(iszero(iszero(ay)), sub(BN254_P, ay)))
                mstore(add(pair, 0x40), r)
                ok := staticcall(EC_MUL_GAS, 0x07, pair, 0x60, pair, 0x40)
                calldatacopy(add(pair, 0x40), add(proof, 0x40), 0x80)
                // rᵢ·Cᵢ in scratch past the free pointer, then added into the model's Σ rᵢ·Cᵢ in place.
                let m := mload(0x40)
                mstore(m, cx)
                mstore(add(m, 0x20), cy)
                mstore(add(m, 0x40), r)
                ok := and(ok, staticcall(EC_MUL_GAS, 0x07, m, 0x60, m, 0x40))
                mstore(add(m, 0x40), mload(add(model, 0x100)))
                mstore(add(m, 0x60), mload(add(model, 0x120)))
                ok := and(ok, staticcall(EC_ADD_GAS, 0x06, m, 0x80, add(model, 0x100), 0x40))
            }
        }
    }

    /// @dev Appends a model's three terms: ((Σr)·α, β), (Σr·IC₀' + Σⱼ tⱼ·ICⱼ₊₂, γ), (Σ rᵢ·Cᵢ, δ). A term whose G2
    ///      point already appears among the model terms (from `firstTerm` on) is added into that pair instead.
    function _appendModelTerms(BatchModel memory model, uint256 input, uint256 firstTerm, uint256 pairs)
        private
        view
        returns (bool ok, uint256)
    {
        uint256[KEY_VERIFY_WORDS] memory key = model.key;
        uint256 keyPtr;
        assembly ("memory-safe") {
            keyPtr := key
        }
        uint256 x;
        uint256 y;
        (ok, x, y) = ecMul(key[KEY_ALPHA], key[KEY_ALPHA + 1], model.sumR);
        if (ok) (ok, pairs) = _addTerm(input, firstTerm, pairs, x, y, keyPtr + KEY_BETA * 32);
        if (!ok) return (false, pairs);

        (ok, x, y) = ecMul(key[KEY_IC0_FOLDED], key[KEY_IC0_FOLDED + 1], model.sumR);
        uint256[4] memory t = [model.t0, model.t1, model.t2, model.t3];
        for (uint256 j = 0; j < 4 && ok; ++j) {
            uint256 px;
            uint256 py;
            (ok, px, py) = ecMul(key[KEY_IC_SIGNALS + 2 * j], key[KEY_IC_SIGNALS + 2 * j + 1], t[j]);
            if (ok) (ok, x, y) = ecAdd(x, y, px, py);
        }
        if (ok) (ok, pairs) = _addTerm(input, firstTerm, pairs, x, y, keyPtr + KEY_GAMMA * 32);
        if (!ok) return (false, pairs);

        return _addTerm(input, firstTerm, pairs, model.cx, model.cy, keyPtr + KEY_DELTA * 32);
    }

    /// @dev e(P, Q) · e(P', Q) = e(P + P', Q): a G1 term for a G2 point that already has a pair joins that pair.
    function _addTerm(uint256 input, uint256 firstTerm, uint256 pairs, uint256 x, uint256 y, uint256 g2)
        private
        view
        returns (bool ok, uint256)
    {
        for (uint256 q = firstTerm; q < pairs; ++q) {
            uint256 at = input + q * 0xc0;
            bool same;
            assembly ("memory-safe") {
                same := and(
                    and(eq(mload(add(at, 0x40)), mload(g2)), eq(mload(add(at, 0x60)), mload(add(g2, 0x20)))),
                    and(eq(mload(add(at, 0x80)), mload(add(g2, 0x40))), eq(mload(add(at, 0xa0)), mload(add(g2, 0x60))))
                )
            }
            if (same) {
                uint256 px;
                uint256 py;
                assembly ("memory-safe") {
                    px := mload(at)
                    py := mload(add(at, 0x20))
                }
                (ok, px, py) = ecAdd(px, py, x, y);
                assembly ("memory-safe") {
                    mstore(at, px)
                    mstore(add(at, 0x20), py)
                }
                return (ok, pairs);
            }
        }
        writePair(input + pairs * 0xc0, x, y, g2);
        return (true, pairs + 1);
    }

    /// @dev rᵢ: the top 128 bits of keccak256(seed, i); never zero (a zero weight would drop proof i from the check).
    function _challenge(bytes32 seed, uint256 i) private pure returns (uint256 r) {
        assembly ("memory-safe") {
            mstore(0x00, seed)
            mstore(0x20, i)
            r := shr(128, keccak256(0x00, 0x40))
        }
        if (r == 0) r = 1;
    }
}
