import { OnnxParseError, UnsupportedOperatorError } from '../errors';
import type { OnnxGraph, OnnxNode } from '../onnx/types';
import { forEachCoord, gather } from './lowerLayout';
import { int, normalizeAxes, refuseBatchAxis, strides, type Value } from './nodeAttributes';
import { size, type AffineLayer, type AffineRow, type Layer } from './types';

/** What computes a value while the graph is lowered: a layer, or the program input. */
export type Producer = Layer | 'input';
/** A graph value during lowering: its name, per-sample shape and producer. */
export type Val = Value & { from: Producer };
/** A layer and the producers whose outputs it reads, concatenated in order. */
export type Wired = { layer: Layer; from: Producer[] };
export type LoweredMulti = { wired: Wired[]; shape: number[] };

/** Operators that may read several activations. */
export const MULTI_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Sum', 'Mean', 'Max', 'Min', 'Concat']);

type MultiContext = { graph: OnnxGraph; node: OnnxNode; batch: number | null };

/** numpy broadcasting of per-sample shapes of equal rank (both carry the batch axis, so ranks must agree). */
function broadcastShape(node: OnnxNode, shapes: number[][]): number[] {
  const rank = shapes[0]!.length;
  if (shapes.some((s) => s.length !== rank))
    throw new UnsupportedOperatorError(
      node.opType,
      node.name,
      `activations of different ranks [${shapes.map((s) => `[${s}]`).join(', ')}]`,
    );
  return shapes[0]!.map((_, a) => {
    const dims = new Set(shapes.map((s) => s[a]!).filter((d) => d !== 1));
    if (dims.size > 1)
      throw new OnnxParseError(
        `${node.opType} '${node.name}': shapes ${shapes.map((s) => `[${s}]`).join(', ')} do not broadcast`,
      );
    return dims.size === 1 ? [...dims][0]! : 1;
  });
}

/** For every element of `outShape`, the flat index of the element of `inShape` that broadcasts to it. */
function broadcastMap(outShape: number[], inShape: number[]): Int32Array {
  const inStrides = strides(inShape);
  return gather(outShape, (c) => c.reduce((src, x, a) => src + (inShape[a] === 1 ? 0 : x) * inStrides[a]!, 0));
}

/**
 * The operands of a product or a max, side by side: a gather of the whole concatenation (free while the operands'
 * scales agree; quantize aligns them otherwise).
 */
export const operandsOf = (node: OnnxNode, total: number): Layer => ({
  kind: 'permute',
  name: `${node.name}/operands`,
  ops: [],
  outShape: [total],
  map: Int32Array.from({ length: total }, (_, i) => i),
});

/** Offsets of each activation in the concatenation of all of them. */
const offsets = (acts: Val[]): number[] => {
  let at = 0;
  return acts.map((v) => {
    const o = at;
    at += size(v.shape);
    return o;
  });
};

const affineOf = (node: OnnxNode, outShape: number[], rows: AffineRow[]): AffineLayer => ({
  kind: 'affine',
  name: node.name,
  ops: [node.opType],
  outShape,
  rows,
});

/**
 * Elementwise operators over several activations (broadcast like numpy): Add, Sub, Sum and Mean are one affine
 * map over their concatenation; Mul is a product layer; Max and Min are a max over each element's candidates (Min
 * as −max(−x)). Division by an activation is refused.
 */
function lowerElementwise(ctx: MultiContext, acts: Val[]): LoweredMulti {
  const { node } = ctx;
  const op = node.opType;
  if (op === 'Div') throw new UnsupportedOperatorError('Div', node.name, 'division by an activation');
  // Every operand here is an activation: a constant among several activations would be dropped (and Mean's count wrong).
  if (node.inputs.length !== acts.length)
    throw new UnsupportedOperatorError(op, node.name, 'constant operands beside several activations');
  const outShape = broadcastShape(
    node,
    acts.map((v) => v.shape),
  );
  const maps = acts.map((v) => broadcastMap(outShape, v.shape));
  const at = offsets(acts);
  const n = size(outShape);
  const from = acts.map((v) => v.from);
  const elements = (i: number) => maps.map((m, k) => at[k]! + m[i]!);
  if (op === 'Add' || op === 'Sub' || op === 'Sum' || op === 'Mean') {
    const weight = (k: number) => (op === 'Sub' && k === 1 ? -1 : op === 'Mean' ? 1 / acts.length : 1);
    const rows = Array.from({ length: n }, (_, i) => ({
      idx: Int32Array.from(elements(i)),
      w: Float64Array.from(acts, (_v, k) => weight(k)),
      b: 0,
    }));
    return { wired: [{ layer: affineOf(node, outShape, rows), from }], shape: outShape };
  }
  if (op === 'Mul') {
    if (acts.length !== 2) throw new OnnxParseError(`Mul '${node.name}' has ${acts.length} inputs`);
    // x·x reads one tensor; two different activations are concatenated first (free while their scales agree).
    if (acts[0]!.name === acts[1]!.name) {
      const layer: Layer = { kind: 'mul', name: node.name, ops: ['Mul'], outShape, left: maps[0]!, right: maps[1]! };
      return { wired: [{ layer, from: [acts[0]!.from] }], shape: outShape };
    }
    const concat = operandsOf(node, at[1]! + size(acts[1]!.shape));
    const mul: Layer = {
      kind: 'mul',
      name: node.name,
      ops: ['Mul'],
      outShape,
      left: maps[0]!,
      right: Int32Array.from(maps[1]!, (j) => at[1]! + j),
    };
    return {
      wired: [
        { layer: concat, from },
        { layer: mul, from: [concat] },
      ],
      shape: outShape,
    };
  }
  // Max / Min: candidates of each element side by side. Min negates before and after.
  const negate = op === 'Min';
  const total = at[at.length - 1]! + size(acts[acts.length - 1]!.shape);
  const candidates: Layer = negate
    ? affineOf(
        node,
        [total],
        Array.from({ length: total }, (_, i) => ({ idx: Int32Array.of(i), w: Float64Array.of(-1), b: 0 })),
      )
    : operandsOf(node, total);
  const max: Layer = {
    kind: 'max',
    name: node.name,
    ops: [op],
    outShape,
    groups: Array.from({ length: n }, (_, i) => Int32Array.from(elements(i))),
  };
  const wired: Wired[] = [
    { layer: candidates, from },
    { layer: max, from: [candidates] },
  ];
  if (negate) {
    const back = affineOf(
      node,
      outShape,
      Array.from({ length: n }, (_, i) => ({ idx: Int32Array.of(i), w: Float64Array.of(-1), b: 0 })),
    );
    wired.push({ layer: back, from: [max] });
  }
  return { wired, shape: outShape };
}

/**
 * Concat along a sample axis of activations and constants: a gather of the activations (free), or an affine map
 * when a constant supplies some elements (a bias with no terms).
 */
function lowerConcat(ctx: MultiContext, acts: Val[]): LoweredMulti {
  const { graph, node, batch } = ctx;
  const parts = node.inputs.map((name) => {
    const act = acts.find((v) => v.name === name);
    if (act) return { act, shape: act.shape };
    const t = graph.initializers.get(name);
    if (!t) throw new OnnxParseError(`Concat '${node.name}': input '${name}' is neither an activation nor a constant`);
    if (t.dims[0] !== 1)
      throw new UnsupportedOperatorError(
        'Concat',
        node.name,
        `constant '${name}' of shape [${t.dims}] varies along the batch axis`,
      );
    return { data: t.data, shape: t.dims.slice(1) };
  });
  const rank = parts[0]!.shape.length + 1;
  const [axis] = normalizeAxes({ graph, node, input: acts[0]!, batch }, [int(node, 'axis', 1)], rank) as [number];
  refuseBatchAxis({ graph, node, input: acts[0]!, batch }, [axis], 'axis');
  const a = axis - 1;
  if (parts.some((p) => p.shape.length !== rank - 1 || p.shape.some((d, b) => b !== a && d !== parts[0]!.shape[b])))
    throw new OnnxParseError(
      `Concat '${node.name}': shapes ${parts.map((p) => `[${p.shape}]`).join(', ')} differ off axis ${axis}`,
    );
  const outShape = parts[0]!.shape.map((d, b) => (b === a ? parts.reduce((s, p) => s + p.shape[a]!, 0) : d));
  const actAt = offsets(acts);
  // Where each part starts along the axis, and where its activation sits in the concatenation of activations.
  let along = 0;
  const placed = parts.map((p) => {
    const start = along;
    along += p.shape[a]!;
    return { ...p, start, strides: strides(p.shape), at: p.act ? actAt[acts.indexOf(p.act)]! : -1 };
  });
  const rows: AffineRow[] = [];
  let constants = false;
  forEachCoord(outShape, (c) => {
    let k = 0;
    while (k + 1 < placed.length && placed[k + 1]!.start <= c[a]!) k++;
    const p = placed[k]!;
    const flat = c.reduce((src, x, b) => src + (b === a ? x - p.start : x) * p.strides[b]!, 0);
    if (p.data) {
      constants = true;
      rows.push({ idx: new Int32Array(0), w: new Float64Array(0), b: p.data[flat]! });
    } else rows.push({ idx: Int32Array.of(p.at + flat), w: Float64Array.of(1), b: 0 });
  });
  const from = acts.map((v) => v.from);
  const layer: Layer = constants
    ? affineOf(node, outShape, rows)
    : { kind: 'permute', name: node.name, ops: ['Concat'], outShape, map: Int32Array.from(rows, (r) => r.idx[0]!) };
  return { wired: [{ layer, from }], shape: outShape };
}

/** A node that reads several activations (or a Concat of any): see MULTI_OPS. */
export function lowerMulti(ctx: MultiContext, acts: Val[]): LoweredMulti {
  if (ctx.node.opType === 'Concat') return lowerConcat(ctx, acts);
  return lowerElementwise(ctx, acts);
}
