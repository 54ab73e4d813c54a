import type { Head, HeadLayout } from '../ir/types';

/**
 * The fixed-point program: every tensor t holds integers q with value ≈ q / 2^scale(t), and |q| < 2^(bits(t)-1).
 * Affine layers multiply by integer weights (scale wScale) and then rescale by `shift` bits with the rounding
 * rule of `roundShift` (round half up: floor((acc + 2^(shift-1)) / 2^shift)), which the circuit enforces with a
 * range-checked remainder. The circuit and `evaluateQuantized` implement exactly this, bit for bit.
 */
export type QuantAffineRow = { idx: Int32Array; w: Int32Array; b: number };

/**
 * The tensors a layer reads, concatenated, in the quantized program's own numbering (0: the input, t ≥ 1: layer
 * t−1's output; absent: the previous layer's output). Only affine and permute layers read several; a permute's
 * tensors then share one scale (quantize turns a concatenation of different scales into an affine map).
 */
type QuantReads = { inputs?: number[] };

export type QuantLayer = QuantReads &
  (
    | {
        kind: 'affine';
        name: string;
        ops: string[];
        outSize: number;
        rows: QuantAffineRow[];
        /** ReLU fused into the rescale (the sign bit is already in the range check). */
        relu: boolean;
        shift: number;
        bits: number;
        inScale: number;
        wScale: number;
        outScale: number;
      }
    | { kind: 'relu'; name: string; ops: string[]; outSize: number; bits: number; outScale: number }
    | { kind: 'max'; name: string; ops: string[]; outSize: number; groups: Int32Array[]; bits: number; outScale: number }
    | { kind: 'permute'; name: string; ops: string[]; outSize: number; map: Int32Array; bits: number; outScale: number }
    | {
        /** out = in if in ≥ 0, else roundShift(slope·in, shift): slopes are integers at scale 2^shift, scale kept. */
        kind: 'prelu';
        name: string;
        ops: string[];
        outSize: number;
        slope: Int32Array;
        shift: number;
        /** Bits of the input (its sign bit is the branch); `bits` bounds slope·in rescaled and the output. */
        inBits: number;
        bits: number;
        outScale: number;
      }
    | {
        /**
         * A scalar activation, piecewise-linear over segments of the input integers: segment k is
         * [start[k], start[k+1]) (the first starts at -2^(inBits-1), the last ends at 2^(inBits-1)) and gives
         * roundShift(slope[k]·in + intercept[k], shift) at `outScale`. One table for every element.
         */
        kind: 'pwl';
        name: string;
        ops: string[];
        outSize: number;
        start: number[];
        slope: number[];
        intercept: number[];
        shift: number;
        inBits: number;
        bits: number;
        outScale: number;
      }
    | {
        /** out = roundShift(in[left]·in[right], shift): the product's scale is twice the input's. */
        kind: 'mul';
        name: string;
        ops: string[];
        outSize: number;
        left: Int32Array;
        right: Int32Array;
        shift: number;
        bits: number;
        outScale: number;
      }
  );

export type QuantProgram = {
  inputShape: number[];
  inputScale: number;
  inputBits: number;
  /** The declared input range: a request's values must lie in [-inputMaxAbs, inputMaxAbs]. */
  inputMaxAbs: number;
  outputShape: number[];
  outputScale: number;
  outputBits: number;
  head: Head;
  headLayout?: HeadLayout;
  layers: QuantLayer[];
};

export function roundShift(acc: number, shift: number): number {
  return shift > 0 ? Math.floor((acc + 2 ** (shift - 1)) / 2 ** shift) : acc;
}

/**
 * What a model's interface is, without its layers: enough to quantize and commit an input and to check an output
 * opening. A model manifest carries it (modelInterfaceOf), so a sequencer or requester needs no circuit files.
 */
export type ModelInterface = Pick<
  QuantProgram,
  'inputShape' | 'inputScale' | 'inputBits' | 'inputMaxAbs' | 'outputShape' | 'outputScale' | 'outputBits'
>;
