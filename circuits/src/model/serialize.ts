import type { QuantProgram } from '../quantize/types';

/** QuantProgram ⇄ JSON (typed arrays become plain arrays). */
export function programToJson(program: QuantProgram): string {
  return JSON.stringify(program, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v));
}

export function programFromJson(json: string): QuantProgram {
  const raw = JSON.parse(json) as QuantProgram;
  for (const layer of raw.layers) {
    if (layer.kind === 'affine')
      layer.rows = layer.rows.map((r) => ({ idx: Int32Array.from(r.idx), w: Int32Array.from(r.w), b: r.b }));
    if (layer.kind === 'max') layer.groups = layer.groups.map((g) => Int32Array.from(g));
    if (layer.kind === 'permute') layer.map = Int32Array.from(layer.map);
    if (layer.kind === 'prelu') layer.slope = Int32Array.from(layer.slope);
  }
  return raw;
}
