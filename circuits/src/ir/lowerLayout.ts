import { InvalidInputError, OnnxParseError, UnsupportedOperatorError } from '../errors';
import {
  axesOf,
  constant,
  int,
  ints,
  normalizeAxes,
  optionalConstant,
  rawAxes,
  refuseBatchAxis,
  str,
  strides,
  type NodeContext,
} from './nodeAttributes';
import { size, type AffineLayer, type Layer, type PermuteLayer } from './types';

export type Lowered = { layers: Layer[]; shape: number[] };

/** Visits every coordinate of `shape` in row-major order (the flat index is the visit's position). */
export function forEachCoord(shape: number[], visit: (coord: number[], i: number) => void): void {
  const coord = new Array<number>(shape.length).fill(0);
  const n = size(shape);
  for (let i = 0; i < n; i++) {
    visit(coord, i);
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++coord[a]! < shape[a]!) break;
      coord[a] = 0;
    }
  }
}

/** Maps every output coordinate (row-major over `outShape`) to a flat input index, or -1 for "no input". */
export function gather(outShape: number[], source: (coord: number[]) => number): Int32Array {
  const map = new Int32Array(size(outShape));
  forEachCoord(outShape, (coord, i) => (map[i] = source(coord)));
  return map;
}

/** Where a padded coordinate reads from along one axis of extent n, or -1 for the constant. */
const PAD_MODES: Record<string, (at: number, n: number) => number> = {
  constant: (at, n) => (at >= 0 && at < n ? at : -1),
  edge: (at, n) => Math.min(Math.max(at, 0), n - 1),
  reflect: (at, n) => (at < 0 ? -at : at >= n ? 2 * (n - 1) - at : at),
};

/** Pad in constant, reflect or edge mode (pads as an attribute before opset 11, as constant inputs from it). */
export function lowerPad(ctx: NodeContext): Lowered {
  const { graph, node, input } = ctx;
  const rank = input.shape.length + 1;
  const mode = str(node, 'mode', 'constant');
  const reads = PAD_MODES[mode];
  if (!reads) throw new UnsupportedOperatorError('Pad', node.name, `mode=${mode}`);
  if (graph.opset >= 11 && node.inputs[3]) throw new UnsupportedOperatorError('Pad', node.name, 'the axes input');
  const pads = graph.opset >= 11 ? Array.from(constant(graph, node, node.inputs[1]).data) : ints(node, 'pads', []);
  const value =
    graph.opset >= 11 ? (optionalConstant(graph, node, 2)?.data[0] ?? 0) : ((node.attributes.value as number | undefined) ?? 0);
  if (pads.length !== 2 * rank) throw new OnnxParseError(`Pad '${node.name}': ${pads.length} pads for rank ${rank}`);
  if (pads[0] !== 0 || pads[rank] !== 0) refuseBatchAxis(ctx, [0], 'pads');
  const begin = pads.slice(1, rank);
  const outShape = input.shape.map((n, a) => n + begin[a]! + pads[rank + a + 1]!);
  if (mode === 'reflect' && input.shape.some((n, a) => begin[a]! >= n || pads[rank + a + 1]! >= n))
    throw new UnsupportedOperatorError('Pad', node.name, 'reflect pads as wide as the axis');
  const inStrides = strides(input.shape);
  const map = gather(outShape, (coord) => {
    let src = 0;
    for (let a = 0; a < coord.length; a++) {
      const at = reads(coord[a]! - begin[a]!, input.shape[a]!);
      if (at < 0) return -1;
      src += at * inStrides[a]!;
    }
    return src;
  });
  if (mode !== 'constant')
    return { layers: [{ kind: 'permute', name: node.name, ops: ['Pad'], outShape, map }], shape: outShape };
  // A constant pad is affine: 1·x inside, the constant (a bias with no terms) outside.
  const rows = Array.from(map, (src) =>
    src < 0
      ? { idx: new Int32Array(0), w: new Float64Array(0), b: value }
      : { idx: Int32Array.of(src), w: Float64Array.of(1), b: 0 },
  );
  const layer: AffineLayer = { kind: 'affine', name: node.name, ops: ['Pad'], outShape, rows };
  return { layers: [layer], shape: outShape };
}

/** Transpose of an activation: a permutation (free in the circuit); the batch axis must stay first. */
export function lowerTranspose(ctx: NodeContext): Lowered {
  const { node, input } = ctx;
  const rank = input.shape.length + 1;
  const perm = ints(
    node,
    'perm',
    Array.from({ length: rank }, (_, a) => rank - 1 - a),
  );
  if (perm[0] !== 0) refuseBatchAxis(ctx, [0], 'perm moves');
  const axes = perm.slice(1).map((p) => p - 1);
  const outShape = axes.map((a) => input.shape[a]!);
  const inStrides = strides(input.shape);
  const map = gather(outShape, (coord) => coord.reduce((src, c, a) => src + c * inStrides[axes[a]!]!, 0));
  const layer: PermuteLayer = { kind: 'permute', name: node.name, ops: ['Transpose'], outShape, map };
  return { layers: [layer], shape: outShape };
}

/**
 * Reshape, sample-wise: the target's first dim must stay the batch (N, 0 or an inferred -1 that resolves to N), so
 * every sample keeps its own contiguous block and a reshape is free.
 */
export function lowerReshape(ctx: NodeContext): Lowered {
  const { graph, node, input, batch } = ctx;
  const target = Array.from(constant(graph, node, node.inputs[1]).data);
  const n = batch ?? 1;
  const full = [n, ...input.shape];
  if (int(node, 'allowzero', 0) === 1 && target.includes(0))
    throw new UnsupportedOperatorError('Reshape', node.name, 'allowzero=1 with a zero dimension');
  const dims = target.map((d, a) => (d === 0 ? full[a]! : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const resolved = dims.map((d) => (d === -1 ? size(full) / known : d));
  if (size(resolved) !== size(full)) throw new InvalidInputError(`Reshape '${node.name}': [${target}] does not fit [${full}]`);
  if (resolved[0] !== n) refuseBatchAxis(ctx, [0], `the target [${target}] reshapes`);
  return { layers: [], shape: resolved.slice(1) };
}

/** Flatten at any axis ≥ 1 whose leading block is the batch alone (else the batch axis would absorb sample dims). */
export function lowerFlatten(ctx: NodeContext): Lowered {
  const { node, input } = ctx;
  const rank = input.shape.length + 1;
  const raw = int(node, 'axis', 1);
  const axis = raw < 0 ? raw + rank : raw;
  if (axis === 0 || size(input.shape.slice(0, axis - 1)) !== 1)
    throw new UnsupportedOperatorError('Flatten', node.name, `axis=${raw} folds sample dims into the batch axis`);
  return { layers: [], shape: [size(input.shape)] };
}

/** Squeeze: drops size-1 axes (attribute before opset 13, input from it); never the batch axis. */
export function lowerSqueeze(ctx: NodeContext): Lowered {
  const { node, input } = ctx;
  const full = [ctx.batch ?? 1, ...input.shape];
  const axes = axesOf(ctx, 13, full.length) ?? full.flatMap((d, a) => (d === 1 ? [a] : []));
  refuseBatchAxis(ctx, axes);
  if (axes.some((a) => full[a] !== 1))
    throw new InvalidInputError(`Squeeze '${node.name}': axes [${axes}] are not all of size 1`);
  return { layers: [], shape: input.shape.filter((_, a) => !axes.includes(a + 1)) };
}

/** Unsqueeze: inserts size-1 axes (attribute before opset 13, input from it); never before the batch axis. */
export function lowerUnsqueeze(ctx: NodeContext): Lowered {
  const { node, input } = ctx;
  const given = rawAxes(ctx, 13);
  if (!given) throw new OnnxParseError(`Unsqueeze '${node.name}' has no axes`);
  // Unsqueeze's axes count in the output's rank.
  const axes = normalizeAxes(ctx, given, input.shape.length + 1 + given.length);
  refuseBatchAxis(ctx, axes);
  const shape = [...input.shape];
  for (const a of [...axes].sort((x, y) => x - y)) shape.splice(a - 1, 0, 1);
  return { layers: [], shape };
}

/** ReduceSum / ReduceMean over constant axes (never the batch): one affine row per kept position. */
export function lowerReduce(ctx: NodeContext): Lowered {
  const { graph, node, input } = ctx;
  const rank = input.shape.length + 1;
  const fromOpset = node.opType === 'ReduceSum' ? 13 : 18;
  const axes = axesOf(ctx, fromOpset, rank);
  const noop = int(node, 'noop_with_empty_axes', 0) === 1;
  if ((!axes || axes.length === 0) && noop && graph.opset >= fromOpset) return { layers: [], shape: input.shape };
  // No axes: reduce everything, the batch axis included.
  const all = axes && axes.length > 0 ? axes : Array.from({ length: rank }, (_, a) => a);
  refuseBatchAxis(ctx, all);
  const reduced = new Set(all.map((a) => a - 1));
  const kept = input.shape.map((n, a) => (reduced.has(a) ? 1 : n));
  const inStrides = strides(input.shape);
  const count = input.shape.reduce((p, n, a) => (reduced.has(a) ? p * n : p), 1);
  const weight = node.opType === 'ReduceMean' ? 1 / count : 1;
  const rows: AffineLayer['rows'] = [];
  forEachCoord(kept, (coord) => {
    const idx: number[] = [];
    const walk = (a: number, at: number) => {
      if (a === coord.length) return void idx.push(at);
      if (!reduced.has(a)) return walk(a + 1, at + coord[a]! * inStrides[a]!);
      for (let c = 0; c < input.shape[a]!; c++) walk(a + 1, at + c * inStrides[a]!);
    };
    walk(0, 0);
    rows.push({ idx: Int32Array.from(idx), w: new Float64Array(idx.length).fill(weight), b: 0 });
  });
  const shape = int(node, 'keepdims', 1) === 1 ? kept : input.shape.filter((_, a) => !reduced.has(a));
  return { layers: [{ kind: 'affine', name: node.name, ops: [node.opType], outShape: shape, rows }], shape };
}
