// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Job, SNARK_SCALAR_FIELD} from "../common/Job.sol";

// BN254 (alt_bn128) arithmetic over the EIP-196/197 precompiles, and Groth16 verification of one Verity proof.
// Free functions and constants only, so the contracts build emits no artifact for this file.

/// @dev BN254 base field modulus p: every point coordinate must be below it.
uint256 constant BN254_P = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

/// @dev The G2 generator in precompile order (imaginary part first): x = (x.c1, x.c0), y = (y.c1, y.c0).
uint256 constant G2_GEN_X_IM = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
uint256 constant G2_GEN_X_RE = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
uint256 constant G2_GEN_Y_IM = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
uint256 constant G2_GEN_Y_RE = 8495653923123431417604973247489272438418190587263600148770280649306958101930;

// Precompile prices since EIP-1108 (Istanbul). Calls forward exactly these amounts: a precompile that fails (bad
// point) consumes all the gas it was given, so forwarding "all gas" would leave nothing for the fallback path.
uint256 constant EC_ADD_GAS = 150;
uint256 constant EC_MUL_GAS = 6000;
uint256 constant PAIRING_BASE_GAS = 45000;
uint256 constant PAIRING_PAIR_GAS = 34000;

/// @notice A point of G1 in affine coordinates; (0, 0) is the point at infinity.
struct G1Point {
    uint256 x;
    uint256 y;
}

/// @notice A point of G2 in affine coordinates over Fp2, in the EIP-197 precompile order: **imaginary part first**,
///         `x = [x.c1, x.c0]`, `y = [y.c1, y.c0]`. snarkjs's JSON writes `[c0, c1]`: swap each pair when converting.
struct G2Point {
    uint256[2] x;
    uint256[2] y;
}

/// @notice A Groth16 verifying key for a circuit with 5 public signals: `ic` has 6 points (IC₀ for the constant 1,
///         then one per signal). All G2 points in precompile order (see G2Point).
struct VerifyingKey {
    G1Point alpha1;
    G2Point beta2;
    G2Point gamma2;
    G2Point delta2;
    G1Point[] ic;
}

/// @notice A Groth16 proof (π_A ∈ G1, π_B ∈ G2, π_C ∈ G1), `b` in precompile order: `[[x.c1, x.c0], [y.c1, y.c0]]`.
struct Proof {
    uint256[2] a;
    uint256[2][2] b;
    uint256[2] c;
}

/// @notice Thrown when the transaction has too little gas left to run a precompile at its full price. Without it, a
///         call starved by the 63/64 rule would look exactly like an invalid point and blame an honest proof.
error PrecompileGasShort();

// Layout of a stored key (words), as ModelRegistry writes it and settlement reads it. The first 24 words are all that
// verification needs; IC₀ and IC₁ come last, only for the decoded view. IC₀' = IC₀ + modelId·IC₁ is precomputed:
// modelId is the same for every proof of a model, so its scalar multiplication is done once, at registration.
uint256 constant KEY_ALPHA = 0;
uint256 constant KEY_BETA = 2;
uint256 constant KEY_GAMMA = 6;
uint256 constant KEY_DELTA = 10;
uint256 constant KEY_IC0_FOLDED = 14;
/// @dev IC₂..IC₅ (inputCommitment, outputCommitment, jobId, prover) at words 16, 18, 20, 22.
uint256 constant KEY_IC_SIGNALS = 16;
uint256 constant KEY_IC0 = 24;
uint256 constant KEY_IC1 = 26;
uint256 constant KEY_VERIFY_WORDS = 24;
uint256 constant KEY_WORDS = 28;

/// @dev Refuses to start a precompile call that the 63/64 rule would starve.
function requireGas(uint256 amount) view {
    if (gasleft() < amount + amount / 63 + 500) revert PrecompileGasShort();
}

/// @notice P + Q on G1 (ecAdd, 0x06). `ok` is false when a point is malformed (not on the curve, coordinate ≥ p).
function ecAdd(uint256 ax, uint256 ay, uint256 bx, uint256 by) view returns (bool ok, uint256 x, uint256 y) {
    requireGas(EC_ADD_GAS);
    assembly ("memory-safe") {
        let m := mload(0x40)
        mstore(m, ax)
        mstore(add(m, 0x20), ay)
        mstore(add(m, 0x40), bx)
        mstore(add(m, 0x60), by)
        ok := staticcall(EC_ADD_GAS, 0x06, m, 0x80, m, 0x40)
        x := mload(m)
        y := mload(add(m, 0x20))
    }
}

/// @notice s·P on G1 (ecMul, 0x07). `ok` is false when the point is malformed.
function ecMul(uint256 px, uint256 py, uint256 s) view returns (bool ok, uint256 x, uint256 y) {
    requireGas(EC_MUL_GAS);
    assembly ("memory-safe") {
        let m := mload(0x40)
        mstore(m, px)
        mstore(add(m, 0x20), py)
        mstore(add(m, 0x40), s)
        ok := staticcall(EC_MUL_GAS, 0x07, m, 0x60, m, 0x40)
        x := mload(m)
        y := mload(add(m, 0x20))
    }
}

/// @notice The pairing check (0x08) over `pairs` consecutive (G1, G2) pairs of 6 words at memory `input`:
///         true iff ∏ e(Pᵢ, Qᵢ) = 1. A malformed point (off the curve, G2 outside the subgroup, coordinate ≥ p)
///         makes the precompile fail, which is reported as false, never as a revert.
function pairingCheck(uint256 input, uint256 pairs) view returns (bool ok) {
    uint256 gasCost = PAIRING_BASE_GAS + PAIRING_PAIR_GAS * pairs;
    requireGas(gasCost);
    assembly ("memory-safe") {
        // The result goes to scratch space so the input stays intact.
        let success := staticcall(gasCost, 0x08, input, mul(pairs, 0xc0), 0x00, 0x20)
        ok := and(success, eq(mload(0x00), 1))
    }
}

/// @notice −P's y coordinate for a G1 point with y < p (infinity stays infinity).
function negateY(uint256 y) pure returns (uint256) {
    return y == 0 ? 0 : BN254_P - y;
}

/// @notice Reads the verification part of a stored key (see KEY_*) from its data contract.
function loadVerifyingWords(address keyData) view returns (uint256[KEY_VERIFY_WORDS] memory key) {
    assembly ("memory-safe") {
        // Byte 0 of the data contract is a STOP guard; the key starts at byte 1.
        extcodecopy(keyData, key, 1, mul(KEY_VERIFY_WORDS, 0x20))
    }
}

/// @notice Writes one (G1, G2) pair at memory `at`: the G1 point, then the G2 point (4 words) copied from `g2`.
function writePair(uint256 at, uint256 x, uint256 y, uint256 g2) pure {
    assembly ("memory-safe") {
        mstore(at, x)
        mstore(add(at, 0x20), y)
        mcopy(add(at, 0x40), g2, 0x80)
    }
}

/// @notice Verifies one Verity proof against a stored key (4 pairings):
///         e(−A, B) · e(α, β) · e(vk_x, γ) · e(C, δ) = 1, with vk_x = IC₀' + Σⱼ₌₁..₄ sⱼ·ICⱼ₊₁ (IC₀' folds modelId).
/// @dev The caller has matched `job.modelId` to the key (IC₀' bakes it in). Any malformed point or signal gives false.
function verifyGroth16(uint256[KEY_VERIFY_WORDS] memory key, Job calldata job, Proof calldata proof)
    view
    returns (bool)
{
    if (
        job.inputCommitment >= SNARK_SCALAR_FIELD || job.outputCommitment >= SNARK_SCALAR_FIELD
            || job.jobId >= SNARK_SCALAR_FIELD
    ) return false;
    if (proof.a[0] >= BN254_P || proof.a[1] >= BN254_P || proof.c[0] >= BN254_P || proof.c[1] >= BN254_P) return false;

    uint256[4] memory signals = [job.inputCommitment, job.outputCommitment, job.jobId, uint256(uint160(job.prover))];
    uint256 vx = key[KEY_IC0_FOLDED];
    uint256 vy = key[KEY_IC0_FOLDED + 1];
    bool ok;
    for (uint256 j = 0; j < 4; ++j) {
        uint256 px;
        uint256 py;
        (ok, px, py) = ecMul(key[KEY_IC_SIGNALS + 2 * j], key[KEY_IC_SIGNALS + 2 * j + 1], signals[j]);
        if (!ok) return false;
        (ok, vx, vy) = ecAdd(vx, vy, px, py);
        if (!ok) return false;
    }

    uint256 input;
    uint256 keyPtr;
    assembly ("memory-safe") {
        input := mload(0x40)
        mstore(0x40, add(input, mul(4, 0xc0)))
        keyPtr := key
    }
    // (−A, B): negating a G1 point flips y; B is copied as given (precompile order).
    uint256 ax = proof.a[0];
    uint256 negAy = negateY(proof.a[1]);
    uint256[2][2] calldata b = proof.b;
    assembly ("memory-safe") {
        mstore(input, ax)
        mstore(add(input, 0x20), negAy)
        calldatacopy(add(input, 0x40), b, 0x80)
    }
    writePair(input + 0xc0, key[KEY_ALPHA], key[KEY_ALPHA + 1], keyPtr + KEY_BETA * 32);
    writePair(input + 2 * 0xc0, vx, vy, keyPtr + KEY_GAMMA * 32);
    writePair(input + 3 * 0xc0, proof.c[0], proof.c[1], keyPtr + KEY_DELTA * 32);
    return pairingCheck(input, 4);
}

// Layout of a stored batch key (words): the same α, β, γ, δ and folded IC₀' = IC₀ + modelId·IC₁ as a model key, then
// IC₂ (count) and IC₃ (batchHash). A batch circuit's public signals are modelId, count and batchHash.
uint256 constant BATCH_KEY_IC_COUNT = 16;
uint256 constant BATCH_KEY_IC_HASH = 18;
uint256 constant BATCH_KEY_WORDS = 20;

/// @notice Reads a stored batch key from its data contract.
function loadBatchKeyWords(address keyData) view returns (uint256[BATCH_KEY_WORDS] memory key) {
    assembly ("memory-safe") {
        extcodecopy(keyData, key, 1, mul(BATCH_KEY_WORDS, 0x20))
    }
}

/// @notice Verifies one batch proof (4 pairings) for public signals (modelId folded into IC₀', count, batchHash).
/// @dev Any malformed point or a signal ≥ r gives false.
function verifyBatchGroth16(uint256[BATCH_KEY_WORDS] memory key, uint256 count, uint256 batchHash, Proof calldata proof)
    view
    returns (bool)
{
    if (count >= SNARK_SCALAR_FIELD || batchHash >= SNARK_SCALAR_FIELD) return false;
    if (proof.a[0] >= BN254_P || proof.a[1] >= BN254_P || proof.c[0] >= BN254_P || proof.c[1] >= BN254_P) return false;
    (bool ok, uint256 px, uint256 py) = ecMul(key[BATCH_KEY_IC_COUNT], key[BATCH_KEY_IC_COUNT + 1], count);
    uint256 vx;
    uint256 vy;
    if (ok) (ok, vx, vy) = ecAdd(key[KEY_IC0_FOLDED], key[KEY_IC0_FOLDED + 1], px, py);
    if (ok) (ok, px, py) = ecMul(key[BATCH_KEY_IC_HASH], key[BATCH_KEY_IC_HASH + 1], batchHash);
    if (ok) (ok, vx, vy) = ecAdd(vx, vy, px, py);
    if (!ok) return false;
    uint256 keyPtr;
    assembly ("memory-safe") {
        keyPtr := key
    }
    return groth16Pairing(keyPtr, vx, vy, proof);
}

/// @notice e(−A, B) · e(α, β) · e(vk_x, γ) · e(C, δ) = 1 for a stored key at memory `keyPtr` (α, β, γ, δ at the
///         KEY_* word offsets) and the proof's vk_x.
function groth16Pairing(uint256 keyPtr, uint256 vx, uint256 vy, Proof calldata proof) view returns (bool) {
    uint256 input;
    assembly ("memory-safe") {
        input := mload(0x40)
        mstore(0x40, add(input, mul(4, 0xc0)))
    }
    uint256 ax = proof.a[0];
    uint256 negAy = negateY(proof.a[1]);
    uint256[2][2] calldata b = proof.b;
    uint256 alphaX;
    uint256 alphaY;
    assembly ("memory-safe") {
        mstore(input, ax)
        mstore(add(input, 0x20), negAy)
        calldatacopy(add(input, 0x40), b, 0x80)
        alphaX := mload(add(keyPtr, mul(KEY_ALPHA, 0x20)))
        alphaY := mload(add(keyPtr, mul(add(KEY_ALPHA, 1), 0x20)))
    }
    writePair(input + 0xc0, alphaX, alphaY, keyPtr + KEY_BETA * 32);
    writePair(input + 2 * 0xc0, vx, vy, keyPtr + KEY_GAMMA * 32);
    writePair(input + 3 * 0xc0, proof.c[0], proof.c[1], keyPtr + KEY_DELTA * 32);
    return pairingCheck(input, 4);
}
