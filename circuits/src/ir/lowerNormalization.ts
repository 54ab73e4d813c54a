import { OnnxParseError, UnsupportedOperatorError } from '../errors';
import { operandsOf, type LoweredMulti, type Val, type Wired } from './lowerMulti';
import { gather } from './lowerLayout';
import { constant, int, normalizeAxes, refuseBatchAxis, strides, type NodeContext } from './nodeAttributes';
import { size, type AffineRow, type Layer } from './types';

export const NORMALIZATION_OPS = new Set(['InstanceNormalization', 'LayerNormalization']);

/** Per-element values of a constant broadcast (numpy rules) over a block of shape `block`. */
function broadcastOver(ctx: NodeContext, name: string | undefined, block: number[], fallback: number): (j: number) => number {
  if (!name) return () => fallback;
  const t = constant(ctx.graph, ctx.node, name);
  const dims = t.dims.length > block.length ? t.dims.slice(t.dims.length - block.length) : t.dims;
  if (t.dims.slice(0, t.dims.length - dims.length).some((d) => d !== 1))
    throw new OnnxParseError(
      `${ctx.node.opType} '${ctx.node.name}': constant '${name}' of shape [${t.dims}] does not fit [${block}]`,
    );
  const padded = [...Array<number>(block.length - dims.length).fill(1), ...dims];
  if (padded.some((d, a) => d !== 1 && d !== block[a]))
    throw new OnnxParseError(
      `${ctx.node.opType} '${ctx.node.name}': constant '${name}' of shape [${t.dims}] does not fit [${block}]`,
    );
  const inStrides = strides(padded);
  const map = gather(block, (c) => c.reduce((src, x, a) => src + (padded[a] === 1 ? 0 : x) * inStrides[a]!, 0));
  return (j) => t.data[map[j]!]!;
}

const affine = (name: string, op: string, outShape: number[], rows: AffineRow[]): Layer => ({
  kind: 'affine',
  name,
  ops: [op],
  outShape,
  rows,
});

/**
 * InstanceNormalization (per channel) and LayerNormalization (over the axes from `axis` on), as a small DAG of the
 * IR's own layers: the group mean (affine), the centred value x − mean (affine over x and the mean), its square
 * (a product), the variance + ε (affine), 1/√ (piecewise linear, floored at ε), the centred value times it (a
 * product), and γ·y + β (affine). Every step is exact or a rounding of the fixed-point program; the one
 * approximation is the 1/√ table.
 */
export function lowerNormalization(ctx: NodeContext, act: Val): LoweredMulti {
  const { node, input } = ctx;
  const op = node.opType;
  const n = size(input.shape);
  if (node.outputs.slice(1).some(Boolean))
    throw new UnsupportedOperatorError(op, node.name, 'the Mean and InvStdDev outputs (training artefacts)');
  const eps = (node.attributes.epsilon as number | undefined) ?? 1e-5;
  if (!(eps > 0)) throw new UnsupportedOperatorError(op, node.name, `epsilon ${eps} (must be positive)`);
  let per: number;
  let gamma: (i: number) => number;
  let beta: (i: number) => number;
  if (op === 'InstanceNormalization') {
    const [C] = input.shape;
    if (C === undefined || input.shape.length < 2)
      throw new UnsupportedOperatorError(op, node.name, `input of shape [N, ${input.shape}]`);
    per = n / C;
    const scale = constant(ctx.graph, node, node.inputs[1]);
    const bias = constant(ctx.graph, node, node.inputs[2]);
    if (scale.data.length !== C || bias.data.length !== C)
      throw new OnnxParseError(`${op} '${node.name}': scale and B must hold ${C} values`);
    gamma = (i) => scale.data[Math.floor(i / per)]!;
    beta = (i) => bias.data[Math.floor(i / per)]!;
  } else {
    const rank = input.shape.length + 1;
    const [axis] = normalizeAxes(ctx, [int(node, 'axis', -1)], rank) as [number];
    refuseBatchAxis(ctx, [axis], 'axis');
    const block = input.shape.slice(axis - 1);
    per = size(block);
    const g = broadcastOver(ctx, node.inputs[1], block, 1);
    const b = broadcastOver(ctx, node.inputs[2], block, 0);
    gamma = (i) => g(i % per);
    beta = (i) => b(i % per);
  }
  const groups = n / per;
  const groupOf = (i: number) => Math.floor(i / per);
  const members = (g: number) => Int32Array.from({ length: per }, (_, j) => g * per + j);
  const meanRows = (b: number) =>
    Array.from({ length: groups }, (_, g) => ({ idx: members(g), w: new Float64Array(per).fill(1 / per), b }));

  const mean = affine(`${node.name}/mean`, op, [groups], meanRows(0));
  const centred = affine(
    `${node.name}/centred`,
    op,
    input.shape,
    Array.from({ length: n }, (_, i) => ({ idx: Int32Array.of(i, n + groupOf(i)), w: Float64Array.of(1, -1), b: 0 })),
  );
  const identity = Int32Array.from({ length: n }, (_, i) => i);
  const square: Layer = {
    kind: 'mul',
    name: `${node.name}/square`,
    ops: [op],
    outShape: input.shape,
    left: identity,
    right: identity,
  };
  const variance = affine(`${node.name}/variance`, op, [groups], meanRows(eps));
  const inverse: Layer = {
    kind: 'pwl',
    name: `${node.name}/invstd`,
    ops: [op],
    outShape: [groups],
    activation: { op: 'InvSqrt', floor: eps },
  };
  const operands = operandsOf(node, n + groups);
  const normalized: Layer = {
    kind: 'mul',
    name: `${node.name}/normalized`,
    ops: [op],
    outShape: input.shape,
    left: identity,
    right: Int32Array.from({ length: n }, (_, i) => n + groupOf(i)),
  };
  const out = affine(
    node.name,
    op,
    input.shape,
    Array.from({ length: n }, (_, i) => ({ idx: Int32Array.of(i), w: Float64Array.of(gamma(i)), b: beta(i) })),
  );
  const wired: Wired[] = [
    { layer: mean, from: [act.from] },
    { layer: centred, from: [act.from, mean] },
    { layer: square, from: [centred] },
    { layer: variance, from: [square] },
    { layer: inverse, from: [variance] },
    { layer: operands, from: [centred, inverse] },
    { layer: normalized, from: [operands] },
    { layer: out, from: [normalized] },
  ];
  return { wired, shape: input.shape };
}
