pragma circom 2.1.6;

// Verity's fixed-point building blocks. Every signed value v of `bits` bits lives in the field as v mod p and is
// range-checked as v + 2^(bits-1) in [0, 2^bits). The compiler (circuits/src/emit) instantiates these; the
// project's evaluator (circuits/src/quantize/evaluateQuantized.ts) computes the same integers.

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";

// out = floor((in + 2^(shift-1)) / 2^shift), round half up, with |out| < 2^(bits-1); relu = 1 also clamps at 0.
// The remainder is range-checked to [0, 2^shift) and the quotient to `bits` bits: together they make the
// quotient unique, so a prover cannot choose another rounding.
template Rescale(shift, bits, relu) {
    // The quotient is unique only while 2^(shift + bits) is far below p (~2^254); quantize caps shift at 64.
    assert(shift >= 0 && shift <= 64 && bits >= 1 && bits <= 48);
    signal input in;
    signal output out;
    signal q;
    signal r;
    var half = shift > 0 ? 1 << (shift - 1) : 0;
    // Shifts the hint's dividend to a non-negative integer (circom's \ and % act on field representatives).
    var offset = 1 << (shift + bits + 8);
    q <-- ((in + half + offset) \ (1 << shift)) - (offset \ (1 << shift));
    r <-- (in + half + offset) % (1 << shift);
    in + half === q * (1 << shift) + r;
    component rBits = Num2Bits(shift);
    rBits.in <== r;
    component qBits = Num2Bits(bits);
    qBits.in <== q + (1 << (bits - 1));
    if (relu == 1) {
        // The top bit of q + 2^(bits-1) is 1 exactly when q >= 0.
        out <== q * qBits.out[bits - 1];
    } else {
        out <== q;
    }
}

// ReLU of a value already known to fit in `bits` bits.
template Relu(bits) {
    signal input in;
    signal output out;
    component b = Num2Bits(bits);
    b.in <== in + (1 << (bits - 1));
    out <== in * b.out[bits - 1];
}

// LeakyRelu/PRelu: out = in if in >= 0, else floor((slope * in + 2^(shift-1)) / 2^shift), in of `inBits` bits.
// slope * in is rescaled (and range-checked to `bits` bits) on both branches; the sign comes from in's range check,
// as in Relu, and one product selects the branch.
template PRelu(inBits, slope, shift, bits) {
    signal input in;
    signal output out;
    component sign = Num2Bits(inBits);
    sign.in <== in + (1 << (inBits - 1));
    component scaled = Rescale(shift, bits, 0);
    scaled.in <== slope * in;
    out <== scaled.out + sign.out[inBits - 1] * (in - scaled.out);
}

// Piecewise-linear activation (Sigmoid, Tanh, Softplus, Elu, Selu, HardSigmoid, Clip, ...) of an `inBits`-bit input:
// segment k holds the integers [S[k], S[k+1]) (the last ends at 2^(inBits-1)) and gives
// floor((A[k] * in + C[k] + 2^(shift-1)) / 2^shift), range-checked to `bits` bits. The selector `sel` is one-hot
// (each bit boolean, sum 1); the selected segment's ends are linear combinations of it, and in - start and
// end - 1 - in are range-checked to inBits bits (a negative difference wraps to a huge field element and fails), so
// only the segment holding `in` passes. One product A(sel) * in, then the affine layers' rescale.
template PwlCheck(K, inBits, S, A, C, shift, bits) {
    signal input in;
    signal input sel[K];
    signal output out;
    var lo = 0;
    var hi = 0;
    var a = 0;
    var c = 0;
    var total = 0;
    for (var k = 0; k < K; k++) {
        sel[k] * (sel[k] - 1) === 0;
        var next = 1 << (inBits - 1);
        if (k + 1 < K) {
            next = S[k + 1];
        }
        lo += sel[k] * S[k];
        hi += sel[k] * next;
        a += sel[k] * A[k];
        c += sel[k] * C[k];
        total += sel[k];
    }
    total === 1;
    component above = Num2Bits(inBits);
    above.in <== in - lo;
    component below = Num2Bits(inBits);
    below.in <== hi - 1 - in;
    component scaled = Rescale(shift, bits, 0);
    scaled.in <== a * in + c;
    out <== scaled.out;
}

// PwlCheck with the selector computed as a hint (circom compares field elements as signed values).
template Pwl(K, inBits, S, A, C, shift, bits) {
    signal input in;
    signal output out;
    signal sel[K];
    component check = PwlCheck(K, inBits, S, A, C, shift, bits);
    for (var k = 0; k < K; k++) {
        var next = 1 << (inBits - 1);
        if (k + 1 < K) {
            next = S[k + 1];
        }
        sel[k] <-- (in >= S[k] && in < next) ? 1 : 0;
        check.sel[k] <== sel[k];
    }
    check.in <== in;
    out <== check.out;
}

// max(a, b) for values of `bits` bits.
template Max2(bits) {
    signal input a;
    signal input b;
    signal output out;
    component d = Num2Bits(bits + 1);
    d.in <== a - b + (1 << bits);
    out <== b + d.out[bits] * (a - b);
}

template MaxN(n, bits) {
    signal input in[n];
    signal output out;
    component m[n];
    signal best[n];
    best[0] <== in[0];
    for (var i = 1; i < n; i++) {
        m[i] = Max2(bits);
        m[i].a <== in[i];
        m[i].b <== best[i - 1];
        best[i] <== m[i].out;
    }
    out <== best[n - 1];
}

// Index of the largest value, the lowest index on ties.
template ArgMax(n, bits) {
    signal input in[n];
    signal output index;
    signal best[n];
    signal idx[n];
    component gt[n];
    best[0] <== in[0];
    idx[0] <== 0;
    for (var i = 1; i < n; i++) {
        gt[i] = Num2Bits(bits + 1);
        // bit `bits` is 1 exactly when in[i] > best[i-1]
        gt[i].in <== in[i] - best[i - 1] - 1 + (1 << bits);
        best[i] <== best[i - 1] + gt[i].out[bits] * (in[i] - best[i - 1]);
        idx[i] <== idx[i - 1] + gt[i].out[bits] * (i - idx[i - 1]);
    }
    index <== idx[n - 1];
}

// Hiding Poseidon commitment to n signed `bits`-bit values under a blinding `salt` (a private field element with
// >= 128 bits of entropy): range-check, pack 252 \ bits per field element, then
// h = n; for each chunk of up to 14 elements: h = Poseidon(2 + k)(h, domain, chunk of k); out = Poseidon3(domain, salt, h).
// The last chunk's hash is only as wide as the chunk: a short vector costs a Poseidon3, not a Poseidon16. Without
// the salt anyone could test a guessed input against the public commitment. Same as
// circuits/src/commit/commitVector.ts.
template Commit(n, bits, domain) {
    signal input in[n];
    signal input salt;
    signal output out;
    var per = 252 \ bits;
    var m = (n + per - 1) \ per;
    var chunks = (m + 13) \ 14;
    component rc[n];
    for (var i = 0; i < n; i++) {
        rc[i] = Num2Bits(bits);
        rc[i].in <== in[i] + (1 << (bits - 1));
    }
    signal packed[m];
    for (var j = 0; j < m; j++) {
        var lc = 0;
        for (var t = 0; t < per; t++) {
            if (j * per + t < n) {
                lc += (in[j * per + t] + (1 << (bits - 1))) * (1 << (bits * t));
            }
        }
        packed[j] <== lc;
    }
    component h[chunks];
    for (var c = 0; c < chunks; c++) {
        var k = m - c * 14 < 14 ? m - c * 14 : 14;
        h[c] = Poseidon(2 + k);
        if (c == 0) {
            h[c].inputs[0] <== n;
        } else {
            h[c].inputs[0] <== h[c - 1].out;
        }
        h[c].inputs[1] <== domain;
        for (var u = 0; u < k; u++) {
            h[c].inputs[2 + u] <== packed[c * 14 + u];
        }
    }
    component blind = Poseidon(3);
    blind.inputs[0] <== domain;
    blind.inputs[1] <== salt;
    blind.inputs[2] <== h[chunks - 1].out;
    out <== blind.out;
}
