import { InvalidInputError, OnnxParseError, UnsupportedOperatorError } from '../errors';
import type { OnnxGraph, OnnxNode } from '../onnx/types';
import { ACTIVATION_OPS, activationOf } from './activation';
import { foldConstants } from './foldConstants';
import { fuseSoftsign } from './fuseSoftsign';
import {
  lowerFlatten,
  lowerPad,
  lowerReduce,
  lowerReshape,
  lowerSqueeze,
  lowerTranspose,
  lowerUnsqueeze,
  type Lowered,
} from './lowerLayout';
import { lowerAveragePool, lowerConv, lowerConvTranspose, lowerGlobalAveragePool, lowerMaxPool } from './lowerSpatial';
import { constant, int, normalizeAxes, refuseBatchAxis, strides, type NodeContext, type Value } from './nodeAttributes';
import { size, type AffineLayer, type AffineRow, type Head, type HeadLayout, type Layer, type Program } from './types';

export const SUPPORTED_OPS = [
  'Gemm',
  'MatMul',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Relu',
  'Neg',
  'Conv',
  'ConvTranspose',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Flatten',
  'Reshape',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Pad',
  'ReduceMean',
  'ReduceSum',
  'Identity',
  'Dropout',
  'BatchNormalization',
  'LeakyRelu',
  'PRelu',
  ...ACTIVATION_OPS,
  'Softmax',
  'LogSoftmax',
  'ArgMax',
] as const;

/** Checks every node before any work starts, so an unsupported model fails at once with the node named. */
export function checkSupported(graph: OnnxGraph): void {
  for (const node of graph.nodes) {
    if (!(SUPPORTED_OPS as readonly string[]).includes(node.opType)) throw new UnsupportedOperatorError(node.opType, node.name);
  }
}

/**
 * Index into a constant broadcast against the activation: numpy rules on [N, ...shape], or before opset 7 with an
 * explicit `axis` where the constant's dims start. A constant that varies along the batch axis is refused: each
 * sample must run the same program.
 */
function broadcastIndex(ctx: NodeContext, dims: number[], legacyAxis?: number): (i: number) => number {
  const { node, input } = ctx;
  const full = [1, ...input.shape];
  const fail = () =>
    new OnnxParseError(`${node.opType} '${node.name}': constant of shape [${dims}] cannot broadcast to [N, ${input.shape}]`);
  const lead = legacyAxis === undefined ? full.length - dims.length : legacyAxis < 0 ? legacyAxis + full.length : legacyAxis;
  if (lead < 0 || lead + dims.length > full.length) throw fail();
  const padded = [...Array(lead).fill(1), ...dims, ...Array(full.length - lead - dims.length).fill(1)];
  if (padded[0] !== 1) refuseBatchAxis(ctx, [0], 'the constant varies along');
  padded.forEach((d, a) => {
    if (d !== 1 && d !== full[a]) throw fail();
  });
  const stride = strides(padded);
  const fullStrides = strides(full);
  return (i: number) => {
    let j = 0;
    for (let a = 0; a < full.length; a++) {
      const coord = Math.floor(i / fullStrides[a]!) % full[a]!;
      if (padded[a] !== 1) j += coord * stride[a]!;
    }
    return j;
  };
}

const row = (idx: number[], w: number[], b: number): AffineRow => ({ idx: Int32Array.from(idx), w: Float64Array.from(w), b });

function elementwise(node: OnnxNode, input: Value, f: (i: number) => { w: number; b: number }): AffineLayer {
  const rows = Array.from({ length: size(input.shape) }, (_, i) => {
    const { w, b } = f(i);
    return row([i], [w], b);
  });
  return { kind: 'affine', name: node.name, ops: [node.opType], outShape: input.shape, rows };
}

function lowerGemm(graph: OnnxGraph, node: OnnxNode, input: Value): AffineLayer {
  if (int(node, 'transA', 0) !== 0) throw new UnsupportedOperatorError('Gemm', node.name, 'transA=1 on an activation');
  const K = size(input.shape);
  const B = constant(graph, node, node.inputs[1]);
  const transB = int(node, 'transB', 0) === 1;
  const alpha = (node.attributes.alpha as number | undefined) ?? 1;
  const beta = (node.attributes.beta as number | undefined) ?? 1;
  const [b0, b1] = B.dims;
  const N = transB ? b0! : b1!;
  if ((transB ? b1 : b0) !== K)
    throw new InvalidInputError(`Gemm '${node.name}': weight shape [${B.dims}] does not match input size ${K}`);
  const C = node.inputs[2] ? constant(graph, node, node.inputs[2]) : undefined;
  const cAt = C ? (C.data.length === 1 ? () => C.data[0]! : (j: number) => C.data[j]!) : () => 0;
  const rows = Array.from({ length: N }, (_, j) => {
    const w = Array.from({ length: K }, (_, k) => alpha * B.data[transB ? j * K + k : k * N + j]!);
    return row(
      Array.from({ length: K }, (_, k) => k),
      w,
      beta * cAt(j),
    );
  });
  return { kind: 'affine', name: node.name, ops: ['Gemm'], outShape: [N], rows };
}

function lowerMatMul(graph: OnnxGraph, node: OnnxNode, input: Value): AffineLayer {
  const W = constant(graph, node, node.inputs[1]);
  if (W.dims.length !== 2) throw new UnsupportedOperatorError('MatMul', node.name, 'only a 2-D constant right operand');
  const [K, N] = W.dims as [number, number];
  if (input.shape[input.shape.length - 1] !== K) throw new InvalidInputError(`MatMul '${node.name}': inner dimensions differ`);
  const M = size(input.shape) / K;
  const rows: AffineRow[] = [];
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++)
      rows.push(
        row(
          Array.from({ length: K }, (_, k) => m * K + k),
          Array.from({ length: K }, (_, k) => W.data[k * N + n]!),
          0,
        ),
      );
  return { kind: 'affine', name: node.name, ops: ['MatMul'], outShape: [...input.shape.slice(0, -1), N], rows };
}

/** The slope of every element of a PRelu (constant input) or LeakyRelu (alpha) node. */
function slopes(ctx: NodeContext): Float64Array {
  const { graph, node, input } = ctx;
  const n = size(input.shape);
  if (node.opType === 'LeakyRelu') return new Float64Array(n).fill((node.attributes.alpha as number | undefined) ?? 0.01);
  const t = constant(graph, node, node.inputs[1]);
  // Before opset 7 a 1-D slope of C values is per channel (axis 1); from opset 7 it broadcasts like numpy.
  const perChannel = graph.opset < 7 && t.dims.length === 1 && t.data.length > 1;
  const at = perChannel
    ? (i: number) => Math.floor(i / (n / input.shape[0]!))
    : broadcastIndex(ctx, t.dims, graph.opset < 7 ? 1 : undefined);
  if (perChannel && t.data.length !== input.shape[0])
    throw new OnnxParseError(`PRelu '${node.name}': ${t.data.length} slopes for ${input.shape[0]} channels`);
  return Float64Array.from({ length: n }, (_, i) => t.data[at(i)]!);
}

const affine = (l: AffineLayer): Lowered => ({ layers: [l], shape: l.outShape });

function lowerNode(ctx: NodeContext): Lowered {
  const { graph, node, input } = ctx;
  const scalarOrBroadcast = (name: string | undefined) => {
    const t = constant(graph, node, name);
    const legacyAxis = graph.opset < 7 ? (node.attributes.axis as number | undefined) : undefined;
    const at = broadcastIndex(ctx, t.dims, legacyAxis);
    return (i: number) => t.data[at(i)]!;
  };
  switch (node.opType) {
    case 'Gemm':
      return affine(lowerGemm(graph, node, input));
    case 'MatMul':
      return affine(lowerMatMul(graph, node, input));
    case 'Conv':
      return affine(lowerConv(ctx));
    case 'ConvTranspose':
      return affine(lowerConvTranspose(ctx));
    case 'AveragePool':
      return affine(lowerAveragePool(ctx));
    case 'GlobalAveragePool':
      return affine(lowerGlobalAveragePool(ctx));
    case 'MaxPool': {
      const l = lowerMaxPool(ctx);
      return { layers: [l], shape: l.outShape };
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const activationFirst = node.inputs[0] === input.name;
      const other = activationFirst ? node.inputs[1] : node.inputs[0];
      if (graph.initializers.get(other ?? '') === undefined)
        throw new UnsupportedOperatorError(
          node.opType,
          node.name,
          'both operands are activations (only constants are supported)',
        );
      if (!activationFirst && node.opType === 'Div')
        throw new UnsupportedOperatorError('Div', node.name, 'division by an activation');
      const c = scalarOrBroadcast(other);
      const f = {
        Add: (i: number) => ({ w: 1, b: c(i) }),
        Sub: (i: number) => (activationFirst ? { w: 1, b: -c(i) } : { w: -1, b: c(i) }),
        Mul: (i: number) => ({ w: c(i), b: 0 }),
        Div: (i: number) => ({ w: 1 / c(i), b: 0 }),
      }[node.opType];
      return { layers: [elementwise(node, input, f)], shape: input.shape };
    }
    case 'Neg':
      return { layers: [elementwise(node, input, () => ({ w: -1, b: 0 }))], shape: input.shape };
    case 'BatchNormalization': {
      if (int(node, 'training_mode', 0) === 1 || node.outputs.slice(1).some(Boolean))
        throw new UnsupportedOperatorError('BatchNormalization', node.name, 'training mode (export in eval mode)');
      const [C] = input.shape;
      const [scale, bias, mean, variance] = [1, 2, 3, 4].map((k) => constant(graph, node, node.inputs[k]));
      const eps = (node.attributes.epsilon as number | undefined) ?? 1e-5;
      const per = size(input.shape) / C!;
      return {
        layers: [
          elementwise(node, input, (i) => {
            const ch = Math.floor(i / per);
            const s = scale!.data[ch]! / Math.sqrt(variance!.data[ch]! + eps);
            return { w: s, b: bias!.data[ch]! - s * mean!.data[ch]! };
          }),
        ],
        shape: input.shape,
      };
    }
    case 'Relu':
      return { layers: [{ kind: 'relu', name: node.name, ops: ['Relu'], outShape: input.shape }], shape: input.shape };
    case 'LeakyRelu':
    case 'PRelu': {
      const slope = slopes(ctx);
      const bad = slope.findIndex((a) => !Number.isFinite(a));
      if (bad >= 0) throw new UnsupportedOperatorError(node.opType, node.name, `slope ${slope[bad]} is not finite`);
      return {
        layers: [{ kind: 'prelu', name: node.name, ops: [node.opType], outShape: input.shape, slope }],
        shape: input.shape,
      };
    }
    case 'Sigmoid':
    case 'Tanh':
    case 'Softplus':
    case 'Softsign':
    case 'Elu':
    case 'Selu':
    case 'HardSigmoid':
    case 'HardSwish':
    case 'Clip':
    case 'Abs':
    case 'Exp':
    case 'Erf':
    case 'Gelu':
    case 'Sqrt':
    case 'Pow':
    case 'Max':
    case 'Min':
      return {
        layers: [{ kind: 'pwl', name: node.name, ops: [node.opType], outShape: input.shape, activation: activationOf(ctx) }],
        shape: input.shape,
      };
    case 'Pad':
      return lowerPad(ctx);
    case 'ReduceMean':
    case 'ReduceSum':
      return lowerReduce(ctx);
    case 'Flatten':
      return lowerFlatten(ctx);
    case 'Reshape':
      return lowerReshape(ctx);
    case 'Squeeze':
      return lowerSqueeze(ctx);
    case 'Unsqueeze':
      return lowerUnsqueeze(ctx);
    case 'Transpose':
      return lowerTranspose(ctx);
    case 'Dropout':
      // Inference: the identity. Its mask output is a training artefact.
      if (node.outputs[1]) throw new UnsupportedOperatorError('Dropout', node.name, 'the mask output');
      if (node.inputs[2] && constant(graph, node, node.inputs[2]).data[0] !== 0)
        throw new UnsupportedOperatorError('Dropout', node.name, 'training_mode=true');
      return { layers: [], shape: input.shape };
    case 'Identity':
      return { layers: [], shape: input.shape };
    default:
      throw new UnsupportedOperatorError(node.opType, node.name);
  }
}

/**
 * The head: Softmax/LogSoftmax over the slices their axis makes (before opset 13 the axes from `axis` on are
 * flattened into one; from 13 it is one axis), ArgMax over the whole output only (one index per sample: an ArgMax
 * that leaves several slices is refused rather than computed over the flattened tensor).
 */
function headOf(ctx: NodeContext): { head: Head; headLayout?: HeadLayout } {
  const { graph, node, input } = ctx;
  const rank = input.shape.length + 1;
  const legacy = node.opType !== 'ArgMax' && graph.opset < 13;
  const raw = int(node, 'axis', node.opType === 'ArgMax' ? 0 : legacy ? 1 : -1);
  const [axis] = normalizeAxes(ctx, [raw], rank) as [number];
  refuseBatchAxis(ctx, [axis], 'axis');
  const outer = size(input.shape.slice(0, axis - 1));
  const layout: HeadLayout = legacy
    ? { outer, axis: size(input.shape.slice(axis - 1)), inner: 1 }
    : { outer, axis: input.shape[axis - 1]!, inner: size(input.shape.slice(axis)) };
  const slices = layout.outer * layout.inner;
  if (node.opType === 'ArgMax' && slices !== 1)
    throw new UnsupportedOperatorError(
      node.opType,
      node.name,
      `axis=${raw} of [N, ${input.shape}] makes ${slices} separate arg-maxima per sample (only one over the whole output is supported)`,
    );
  if (node.opType === 'ArgMax' && int(node, 'select_last_index', 0) === 1)
    throw new UnsupportedOperatorError('ArgMax', node.name, 'select_last_index=1 (the circuit picks the lowest index)');
  const head = ({ Softmax: 'softmax', LogSoftmax: 'logsoftmax', ArgMax: 'argmax' } as const)[node.opType as 'Softmax'];
  return slices === 1 ? { head } : { head, headLayout: layout };
}

const HEADS = new Set(['Softmax', 'LogSoftmax', 'ArgMax']);

/**
 * Lowers a feed-forward ONNX graph (each node consumes the previous node's output plus constants) to the layer
 * IR, per sample: a graph exported with a fixed batch N is the same program as with batch 1, and no operator may
 * mix samples across the batch axis. A trailing Softmax/LogSoftmax is dropped (argmax and ordering survive it)
 * and a trailing ArgMax becomes the head.
 */
export function lowerGraph(onnxGraph: OnnxGraph): Program {
  checkSupported(onnxGraph);
  const graph = fuseSoftsign(foldConstants(onnxGraph));
  if (graph.inputs.length !== 1) throw new OnnxParseError(`expected one graph input, found ${graph.inputs.length}`);
  if (graph.outputs.length !== 1) throw new OnnxParseError(`expected one graph output, found ${graph.outputs.length}`);
  const gi = graph.inputs[0]!;
  const [batch, ...rest] = gi.shape;
  if (batch === undefined) throw new OnnxParseError(`input '${gi.name}' is a scalar (no batch axis)`);
  if (rest.some((d) => d === null)) throw new OnnxParseError(`input '${gi.name}' has dynamic non-batch dimensions`);
  const inputShape = rest as number[];

  let current: Value = { name: gi.name, shape: inputShape };
  const layers: Layer[] = [];
  let head: Head = 'none';
  let headLayout: HeadLayout | undefined;
  graph.nodes.forEach((node, n) => {
    const last = n === graph.nodes.length - 1;
    if (!node.inputs.includes(current.name))
      throw new UnsupportedOperatorError(
        node.opType,
        node.name,
        `does not consume '${current.name}' (only sequential graphs are supported)`,
      );
    const ctx: NodeContext = { graph, node, input: current, batch };
    if (HEADS.has(node.opType)) {
      if (!last) throw new UnsupportedOperatorError(node.opType, node.name, 'only as the last node');
      ({ head, headLayout } = headOf(ctx));
      current = { name: node.outputs[0]!, shape: current.shape };
      return;
    }
    const lowered = lowerNode(ctx);
    layers.push(...lowered.layers);
    current = { name: node.outputs[0]!, shape: lowered.shape };
  });
  if (current.name !== graph.outputs[0]!.name)
    throw new OnnxParseError(`the last node's output '${current.name}' is not the graph output '${graph.outputs[0]!.name}'`);

  return {
    inputName: gi.name,
    inputShape,
    batch,
    outputName: current.name,
    outputShape: current.shape,
    layers: simplify(layers),
    head,
    ...(headLayout ? { headLayout } : {}),
    sourceOps: onnxGraph.nodes.map((n) => n.opType),
  };
}

/** Composes two consecutive affine maps into one (sparse matrix product): fewer rescales, same float result. */
function composeAffine(first: AffineLayer, second: AffineLayer): AffineLayer {
  const rows = second.rows.map((r) => {
    const acc = new Map<number, number>();
    let b = r.b;
    for (let t = 0; t < r.idx.length; t++) {
      const inner = first.rows[r.idx[t]!]!;
      const w = r.w[t]!;
      b += w * inner.b;
      for (let u = 0; u < inner.idx.length; u++) acc.set(inner.idx[u]!, (acc.get(inner.idx[u]!) ?? 0) + w * inner.w[u]!);
    }
    const idx = [...acc.keys()].sort((x, y) => x - y);
    return row(
      idx,
      idx.map((i) => acc.get(i)!),
      b,
    );
  });
  return {
    kind: 'affine',
    name: `${first.name}+${second.name}`,
    ops: [...first.ops, ...second.ops],
    outShape: second.outShape,
    rows,
  };
}

function permuteInto(p: { map: Int32Array; ops: string[] }, next: Layer): Layer {
  if (next.kind === 'affine')
    return { ...next, ops: [...p.ops, ...next.ops], rows: next.rows.map((r) => ({ ...r, idx: r.idx.map((i) => p.map[i]!) })) };
  if (next.kind === 'max')
    return { ...next, ops: [...p.ops, ...next.ops], groups: next.groups.map((g) => g.map((i) => p.map[i]!)) };
  return { ...next, kind: 'permute', map: next.kind === 'permute' ? next.map.map((i) => p.map[i]!) : p.map } as Layer;
}

function isBijection(map: Int32Array): boolean {
  const seen = new Uint8Array(map.length);
  for (const i of map) {
    if (i < 0 || i >= map.length || seen[i]) return false;
    seen[i] = 1;
  }
  return true;
}

/** Merges two adjacent layers when that is free or cheaper; undefined when they must stay apart. */
function merge(prev: Layer, layer: Layer): Layer[] | undefined {
  if (prev.kind === 'affine' && layer.kind === 'affine') return [composeAffine(prev, layer)];
  if (prev.kind === 'permute' && (layer.kind === 'affine' || layer.kind === 'max' || layer.kind === 'permute'))
    return [permuteInto(prev, layer)];
  // relu and pwl are the same function on every element: apply them before a true permutation (not a gather such
  // as an edge pad, which changes the size), and keep pushing the permutation forward.
  if (prev.kind === 'permute' && (layer.kind === 'relu' || layer.kind === 'pwl') && isBijection(prev.map)) return [layer, prev];
  return undefined;
}

/** Folds affine∘affine and pushes permutations into the layer that reads them (free in the circuit). */
function simplify(input: Layer[]): Layer[] {
  const out: Layer[] = [];
  for (const layer of input) {
    out.push(layer);
    // Each merge can enable another with the layer before it: keep going while something merges.
    for (let i = out.length - 1; i > 0; ) {
      const merged = merge(out[i - 1]!, out[i]!);
      if (!merged) break;
      out.splice(i - 1, 2, ...merged);
      i = merged.length === 1 ? i - 1 : i + 1;
      if (i >= out.length) break;
    }
  }
  return out;
}
