import { InvalidInputError, OnnxParseError, UnsupportedOperatorError } from '../errors';
import { gather, type Lowered } from './lowerLayout';
import {
  constant,
  int,
  ints,
  normalizeAxes,
  optionalConstant,
  refuseBatchAxis,
  strides,
  type NodeContext,
} from './nodeAttributes';
import type { PermuteLayer } from './types';

/**
 * Operators that only move elements of one activation (Slice, Gather with constant indices, Tile, Expand, Split):
 * each is a gather, out[i] = in[map[i]], free in the circuit. Shapes here are per sample (the batch axis dropped);
 * ONNX axes count it, so axis a of the node is axis a − 1 here.
 */

const permute = (ctx: NodeContext, outShape: number[], map: Int32Array): Lowered => {
  const layer: PermuteLayer = { kind: 'permute', name: ctx.node.name, ops: [ctx.node.opType], outShape, map };
  return { layers: [layer], shape: outShape };
};

/** Slice with constant starts/ends/axes/steps (inputs from opset 10, attributes before), clamped as ONNX does. */
export function lowerSlice(ctx: NodeContext): Lowered {
  const { graph, node, input, batch } = ctx;
  const rank = input.shape.length + 1;
  const fromInputs = graph.opset >= 10;
  const list = (k: number, attr: string): number[] | undefined =>
    fromInputs
      ? optionalConstant(graph, node, k)
        ? Array.from(constant(graph, node, node.inputs[k]).data)
        : undefined
      : Array.isArray(node.attributes[attr])
        ? ints(node, attr, [])
        : undefined;
  const starts = list(1, 'starts') ?? [];
  const ends = list(2, 'ends') ?? [];
  const axes = normalizeAxes(ctx, list(3, 'axes') ?? starts.map((_, a) => a), rank);
  const steps = (fromInputs ? list(4, 'steps') : undefined) ?? axes.map(() => 1);
  if (starts.length !== ends.length || axes.length !== starts.length || steps.length !== starts.length)
    throw new OnnxParseError(`Slice '${node.name}': starts, ends, axes and steps differ in length`);
  const begin = input.shape.map(() => 0);
  const step = input.shape.map(() => 1);
  const outShape = [...input.shape];
  axes.forEach((a, k) => {
    const st = steps[k]!;
    if (st === 0) throw new OnnxParseError(`Slice '${node.name}': step 0 on axis ${a}`);
    if (a === 0) {
      // The batch axis may be named only to keep all of it.
      if (starts[k] !== 0 || st !== 1 || ends[k]! < (batch ?? 2 ** 31 - 1)) refuseBatchAxis(ctx, [0], 'axes slice');
      return;
    }
    const n = input.shape[a - 1]!;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let s = starts[k]! < 0 ? starts[k]! + n : starts[k]!;
    let e = ends[k]! < 0 ? ends[k]! + n : ends[k]!;
    if (st > 0) [s, e] = [clamp(s, 0, n), clamp(e, 0, n)];
    else [s, e] = [clamp(s, 0, n - 1), clamp(e, -1, n - 1)];
    begin[a - 1] = s;
    step[a - 1] = st;
    outShape[a - 1] = Math.max(0, Math.ceil((e - s) / st));
  });
  const inStrides = strides(input.shape);
  return permute(
    ctx,
    outShape,
    gather(outShape, (c) => c.reduce((src, x, a) => src + (begin[a]! + x * step[a]!) * inStrides[a]!, 0)),
  );
}

/**
 * Gather of an activation along a sample axis by constant indices (negative ones count from the end). Gathering a
 * constant table by indices that come from the input is a lookup by value (an embedding), not a gather: refused.
 */
export function lowerGatherOp(ctx: NodeContext): Lowered {
  const { graph, node, input } = ctx;
  if (node.inputs[0] !== input.name)
    throw new UnsupportedOperatorError('Gather', node.name, 'indices that come from an activation (a lookup by input value)');
  const rank = input.shape.length + 1;
  const [axis] = normalizeAxes(ctx, [int(node, 'axis', 0)], rank) as [number];
  refuseBatchAxis(ctx, [axis], 'axis');
  const indices = constant(graph, node, node.inputs[1]);
  const a = axis - 1;
  const n = input.shape[a]!;
  const picks = Array.from(indices.data, (v) => {
    const i = v < 0 ? v + n : v;
    if (!Number.isInteger(i) || i < 0 || i >= n)
      throw new InvalidInputError(`Gather '${node.name}': index ${v} is out of range for an axis of ${n}`);
    return i;
  });
  const outShape = [...input.shape.slice(0, a), ...indices.dims, ...input.shape.slice(a + 1)];
  const inStrides = strides(input.shape);
  const idxStrides = strides(indices.dims);
  const k = indices.dims.length;
  const map = gather(outShape, (c) => {
    let flat = 0;
    for (let d = 0; d < k; d++) flat += c[a + d]! * idxStrides[d]!;
    let src = picks[flat]! * inStrides[a]!;
    for (let d = 0; d < a; d++) src += c[d]! * inStrides[d]!;
    for (let d = a + 1; d < input.shape.length; d++) src += c[d + k - 1]! * inStrides[d]!;
    return src;
  });
  return permute(ctx, outShape, map);
}

/** Tile by constant repeats (the batch axis repeated once). */
export function lowerTile(ctx: NodeContext): Lowered {
  const { graph, node, input } = ctx;
  const repeats = Array.from(constant(graph, node, node.inputs[1]).data);
  if (repeats.length !== input.shape.length + 1)
    throw new OnnxParseError(`Tile '${node.name}': ${repeats.length} repeats for rank ${input.shape.length + 1}`);
  if (repeats[0] !== 1) refuseBatchAxis(ctx, [0], 'repeats tile');
  const outShape = input.shape.map((n, a) => n * repeats[a + 1]!);
  const inStrides = strides(input.shape);
  return permute(
    ctx,
    outShape,
    gather(outShape, (c) => c.reduce((src, x, a) => src + (x % input.shape[a]!) * inStrides[a]!, 0)),
  );
}

/** Expand to a constant shape (numpy broadcasting, rank kept so the batch axis stays first). */
export function lowerExpand(ctx: NodeContext): Lowered {
  const { graph, node, input } = ctx;
  const target = Array.from(constant(graph, node, node.inputs[1]).data);
  const rank = input.shape.length + 1;
  if (target.length > rank)
    throw new UnsupportedOperatorError('Expand', node.name, `shape [${target}] adds leading axes (the batch axis would move)`);
  const full = [...Array<number>(rank - target.length).fill(1), ...target];
  if (full[0] !== 1 && full[0] !== (ctx.batch ?? -1)) refuseBatchAxis(ctx, [0], `shape [${target}] expands`);
  const outShape = input.shape.map((n, a) => {
    const t = full[a + 1]!;
    if (n !== 1 && t !== 1 && t !== n)
      throw new InvalidInputError(`Expand '${node.name}': [${input.shape}] cannot broadcast to [${target}]`);
    return Math.max(n, t);
  });
  const inStrides = strides(input.shape);
  return permute(
    ctx,
    outShape,
    gather(outShape, (c) => c.reduce((src, x, a) => src + (input.shape[a] === 1 ? 0 : x) * inStrides[a]!, 0)),
  );
}

/** Split along a sample axis into parts (sizes from the input, the attribute, or equal parts): one gather each. */
export function lowerSplit(ctx: NodeContext): { shape: number[]; map: Int32Array }[] {
  const { graph, node, input } = ctx;
  const rank = input.shape.length + 1;
  const [axis] = normalizeAxes(ctx, [int(node, 'axis', 0)], rank) as [number];
  refuseBatchAxis(ctx, [axis], 'axis');
  const a = axis - 1;
  const n = input.shape[a]!;
  const parts = node.outputs.length;
  const given = graph.opset >= 13 ? optionalConstant(graph, node, 1)?.data : (node.attributes.split as number[] | undefined);
  const sizes = given
    ? Array.from(given)
    : Array.from({ length: parts }, (_, k) => Math.min(Math.ceil(n / parts), Math.max(0, n - k * Math.ceil(n / parts))));
  if (sizes.length !== parts || sizes.reduce((x, y) => x + y, 0) !== n)
    throw new OnnxParseError(`Split '${node.name}': parts [${sizes}] do not split an axis of ${n} into ${parts} outputs`);
  const inStrides = strides(input.shape);
  let offset = 0;
  return sizes.map((len) => {
    const shape = input.shape.map((d, b) => (b === a ? len : d));
    const at = offset;
    offset += len;
    return { shape, map: gather(shape, (c) => c.reduce((src, x, b) => src + (b === a ? x + at : x) * inStrides[b]!, 0)) };
  });
}
