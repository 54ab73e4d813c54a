import { InvalidInputError } from '../errors';
import type { QuantProgram } from '../quantize/types';

/** QuantProgram ⇄ JSON (typed arrays become plain arrays). */
export function programToJson(program: QuantProgram): string {
  return JSON.stringify(program, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v));
}

export function programFromJson(json: string): QuantProgram {
  const raw = JSON.parse(json) as QuantProgram;
  raw.layers.forEach((layer, l) => {
    // A layer reads only tensors already computed (the input, earlier layers): the evaluators index them blindly.
    if (
      layer.inputs !== undefined &&
      !(Array.isArray(layer.inputs) && layer.inputs.every((t) => Number.isInteger(t) && t >= 0 && t <= l))
    )
      throw new InvalidInputError(
        `program layer ${l} ('${layer.name}') reads tensors ${JSON.stringify(layer.inputs)} that are not computed before it`,
      );
    if (layer.kind === 'affine')
      layer.rows = layer.rows.map((r) => ({ idx: Int32Array.from(r.idx), w: Int32Array.from(r.w), b: r.b }));
    if (layer.kind === 'max') layer.groups = layer.groups.map((g) => Int32Array.from(g));
    if (layer.kind === 'permute') layer.map = Int32Array.from(layer.map);
    if (layer.kind === 'prelu') layer.slope = Int32Array.from(layer.slope);
    if (layer.kind === 'mul') [layer.left, layer.right] = [Int32Array.from(layer.left), Int32Array.from(layer.right)];
  });
  return raw;
}
