import { COMMIT_DOMAIN } from '../commit/commitVector';
import type { QuantLayer, QuantProgram } from '../quantize/types';

export type EmitCircomParameters = {
  program: QuantProgram;
  /** Field element that names the model; the circuit pins its public signal to it. */
  modelId: bigint;
  /** Include path of templates/verity.circom as seen from the emitted file. */
  templatesInclude: string;
};

const list = (xs: ArrayLike<number | string>): string => `[${Array.from(xs).join(',')}]`;

function emitLayer(layer: QuantLayer, l: number, input: string): { code: string; output: string } {
  const out = `a${l}`;
  const n = layer.outSize;
  switch (layer.kind) {
    case 'affine': {
      // A loop, not Math.max(...spread): a layer can have more rows than the call stack has room for arguments.
      let T = 1;
      for (const r of layer.rows) T = Math.max(T, r.idx.length);
      // Rows padded to T terms with zero weights: zero coefficients add nothing to the constraint.
      const pad = (xs: ArrayLike<number>) => list([...Array.from(xs), ...Array(T - xs.length).fill(0)]);
      return {
        output: out,
        code: [
          `    // layer ${l}: ${layer.ops.join(' + ')} (${layer.name}), shift ${layer.shift}, ${layer.bits}-bit${layer.relu ? ', ReLU' : ''}`,
          `    var W${l}[${n}][${T}] = [${layer.rows.map((r) => pad(r.w)).join(',')}];`,
          `    var I${l}[${n}][${T}] = [${layer.rows.map((r) => pad(r.idx)).join(',')}];`,
          `    var B${l}[${n}] = ${list(layer.rows.map((r) => BigInt(r.b).toString()))};`,
          `    signal ${out}[${n}];`,
          `    component s${l}[${n}];`,
          `    for (var i = 0; i < ${n}; i++) {`,
          `        var lc = B${l}[i];`,
          `        for (var t = 0; t < ${T}; t++) {`,
          `            lc += W${l}[i][t] * ${input}[I${l}[i][t]];`,
          `        }`,
          `        s${l}[i] = Rescale(${layer.shift}, ${layer.bits}, ${layer.relu ? 1 : 0});`,
          `        s${l}[i].in <== lc;`,
          `        ${out}[i] <== s${l}[i].out;`,
          `    }`,
        ].join('\n'),
      };
    }
    case 'relu':
      return {
        output: out,
        code: [
          `    // layer ${l}: ReLU (${layer.name})`,
          `    signal ${out}[${n}];`,
          `    component s${l}[${n}];`,
          `    for (var i = 0; i < ${n}; i++) {`,
          `        s${l}[i] = Relu(${layer.bits});`,
          `        s${l}[i].in <== ${input}[i];`,
          `        ${out}[i] <== s${l}[i].out;`,
          `    }`,
        ].join('\n'),
      };
    case 'max': {
      let K = 1;
      let uneven = false;
      for (const g of layer.groups) {
        uneven ||= g.length !== layer.groups[0]!.length;
        K = Math.max(K, g.length);
      }
      // Windows at a pad edge are smaller: repeat their first value (max(a, a, b) = max(a, b)) so one MaxN fits all.
      const pad = (g: Int32Array) => list([...Array.from(g), ...Array<number>(K - g.length).fill(g[0]!)]);
      return {
        output: out,
        code: [
          `    // layer ${l}: MaxPool (${layer.name}), windows of ${uneven ? 'up to ' : ''}${K}`,
          `    var G${l}[${n}][${K}] = [${layer.groups.map(pad).join(',')}];`,
          `    signal ${out}[${n}];`,
          `    component s${l}[${n}];`,
          `    for (var i = 0; i < ${n}; i++) {`,
          `        s${l}[i] = MaxN(${K}, ${layer.bits});`,
          `        for (var t = 0; t < ${K}; t++) {`,
          `            s${l}[i].in[t] <== ${input}[G${l}[i][t]];`,
          `        }`,
          `        ${out}[i] <== s${l}[i].out;`,
          `    }`,
        ].join('\n'),
      };
    }
    case 'prelu':
      return {
        output: out,
        code: [
          `    // layer ${l}: ${layer.ops.join(' + ')} (${layer.name}), slopes at 2^-${layer.shift}, ${layer.bits}-bit`,
          `    var A${l}[${n}] = ${list(layer.slope)};`,
          `    signal ${out}[${n}];`,
          `    component s${l}[${n}];`,
          `    for (var i = 0; i < ${n}; i++) {`,
          `        s${l}[i] = PRelu(${layer.inBits}, A${l}[i], ${layer.shift}, ${layer.bits});`,
          `        s${l}[i].in <== ${input}[i];`,
          `        ${out}[i] <== s${l}[i].out;`,
          `    }`,
        ].join('\n'),
      };
    case 'pwl': {
      const K = layer.start.length;
      const big = (xs: number[]) => list(xs.map((v) => BigInt(v).toString()));
      return {
        output: out,
        code: [
          `    // layer ${l}: ${layer.ops.join(' + ')} (${layer.name}), ${K} linear segments, shift ${layer.shift}, ${layer.bits}-bit`,
          `    var S${l}[${K}] = ${big(layer.start)};`,
          `    var A${l}[${K}] = ${big(layer.slope)};`,
          `    var C${l}[${K}] = ${big(layer.intercept)};`,
          `    signal ${out}[${n}];`,
          `    component s${l}[${n}];`,
          `    for (var i = 0; i < ${n}; i++) {`,
          `        s${l}[i] = Pwl(${K}, ${layer.inBits}, S${l}, A${l}, C${l}, ${layer.shift}, ${layer.bits});`,
          `        s${l}[i].in <== ${input}[i];`,
          `        ${out}[i] <== s${l}[i].out;`,
          `    }`,
        ].join('\n'),
      };
    }
    case 'permute':
      return {
        output: out,
        code: [
          `    // layer ${l}: Transpose (${layer.name}), wiring only`,
          `    var P${l}[${n}] = ${list(layer.map)};`,
          `    signal ${out}[${n}];`,
          `    for (var i = 0; i < ${n}; i++) {`,
          `        ${out}[i] <== ${input}[P${l}[i]];`,
          `    }`,
        ].join('\n'),
      };
  }
}

/**
 * Emits the circom source of a quantized model. Public signals, in this order: modelId, inputCommitment,
 * outputCommitment, jobId, prover. The input tensor and the output (logits, then the argmax index) are private
 * and bound through hiding Poseidon commitments (each blinded by a private salt); jobId and prover are bound by the proof itself, so a proof
 * cannot be replayed for another job or prover. Weights are constants: the circuit is the model.
 */
export function emitCircom(parameters: EmitCircomParameters): string {
  const { program, modelId } = parameters;
  const n0 = program.inputShape.reduce((a, b) => a * b, 1);
  const body: string[] = [];
  let current = 'x';
  program.layers.forEach((layer, l) => {
    const emitted = emitLayer(layer, l, current);
    body.push(emitted.code);
    current = emitted.output;
  });
  const nOut = program.layers[program.layers.length - 1]?.outSize ?? n0;
  return `pragma circom 2.1.6;

// Generated by Verity's zkML compiler (circuits/src/emit/emitCircom.ts). Do not edit.
include "${parameters.templatesInclude}";

template VerityModel() {
    signal input modelId;
    signal input inputCommitment;
    signal input outputCommitment;
    signal input jobId;
    signal input prover;
    signal input x[${n0}];
    // Blinding salts of the two commitments: private, so a commitment reveals nothing about its vector.
    signal input inputSalt;
    signal input outputSalt;

    modelId === ${modelId.toString()};
    // Squares tie jobId and prover into the constraint system (belt and braces: Groth16 already binds them).
    signal jobIdSquare;
    jobIdSquare <== jobId * jobId;
    signal proverSquare;
    proverSquare <== prover * prover;

    component inputCommit = Commit(${n0}, ${program.inputBits}, ${COMMIT_DOMAIN.input});
    for (var i = 0; i < ${n0}; i++) {
        inputCommit.in[i] <== x[i];
    }
    inputCommit.salt <== inputSalt;
    inputCommit.out === inputCommitment;

${body.join('\n\n')}

    component best = ArgMax(${nOut}, ${program.outputBits});
    for (var i = 0; i < ${nOut}; i++) {
        best.in[i] <== ${current}[i];
    }
    component outputCommit = Commit(${nOut + 1}, ${program.outputBits}, ${COMMIT_DOMAIN.output});
    for (var i = 0; i < ${nOut}; i++) {
        outputCommit.in[i] <== ${current}[i];
    }
    outputCommit.in[${nOut}] <== best.index;
    outputCommit.salt <== outputSalt;
    outputCommit.out === outputCommitment;
}

component main {public [modelId, inputCommitment, outputCommitment, jobId, prover]} = VerityModel();
`;
}
