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
import { lowerExpand, lowerGatherOp, lowerSlice, lowerSplit, lowerTile } from './lowerGather';
import { lowerMulti, MULTI_OPS, type LoweredMulti, type Producer, type Val, type Wired } from './lowerMulti';
import { lowerNormalization, NORMALIZATION_OPS } from './lowerNormalization';
import { lowerAveragePool, lowerConv, lowerConvTranspose, lowerGlobalAveragePool, lowerMaxPool } from './lowerSpatial';
import { constant, int, normalizeAxes, refuseBatchAxis, strides, type NodeContext, type Value } from './nodeAttributes';
import {
  size,
  type AffineLayer,
  type AffineRow,
  type GraphInput,
  type Head,
  type HeadLayout,
  type Layer,
  type Program,
} from './types';

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
  'Slice',
  'Gather',
  'Tile',
  'Expand',
  'Split',
  'Concat',
  'Sum',
  'Mean',
  'InstanceNormalization',
  'LayerNormalization',
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
  if (padded[0] !== 1)
    throw new UnsupportedOperatorError(
      node.opType,
      node.name,
      `its constant of shape [${dims}] varies along the batch axis (a proof covers one sample; samples must not mix)`,
    );
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
    case 'Sum':
    case 'Mean':
      if (node.inputs.length !== 1) throw new UnsupportedOperatorError(node.opType, node.name, 'constant operands');
      return { layers: [], shape: input.shape };
    case 'Slice':
      return lowerSlice(ctx);
    case 'Gather':
      return lowerGatherOp(ctx);
    case 'Tile':
      return lowerTile(ctx);
    case 'Expand':
      return lowerExpand(ctx);
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

/** Graph inputs, per sample: the batch axis first (its size may be dynamic), every other dimension fixed. */
function graphInputs(graph: OnnxGraph): { inputs: GraphInput[]; batch: number | null } {
  if (graph.inputs.length === 0) throw new OnnxParseError('the graph has no input');
  let batch: number | null = null;
  const inputs = graph.inputs.map((gi, k) => {
    const [n, ...rest] = gi.shape;
    if (n === undefined) throw new OnnxParseError(`input '${gi.name}' is a scalar (no batch axis)`);
    if (rest.some((d) => d === null)) throw new OnnxParseError(`input '${gi.name}' has dynamic non-batch dimensions`);
    if (k > 0 && n !== batch)
      throw new OnnxParseError(`input '${gi.name}' has batch ${n}, input '${graph.inputs[0]!.name}' ${batch}`);
    batch = n;
    return { name: gi.name, shape: rest as number[] };
  });
  return { inputs, batch };
}

/**
 * Lowers an ONNX graph to the layer IR, per sample: a graph exported with a fixed batch N is the same program as
 * with batch 1, and no operator may mix samples across the batch axis. The graph is a DAG: a node may read several
 * activations (residual Add, Concat, Mul of two activations) and a value may feed several nodes; several graph
 * inputs are concatenated into the program input. A Softmax/LogSoftmax producing the graph output is kept as the
 * head (dropped from the circuit: argmax and ordering survive it), and so is an ArgMax.
 */
export function lowerGraph(onnxGraph: OnnxGraph): Program {
  checkSupported(onnxGraph);
  const graph = fuseSoftsign(foldConstants(onnxGraph));
  if (graph.outputs.length !== 1) throw new OnnxParseError(`expected one graph output, found ${graph.outputs.length}`);
  const outputName = graph.outputs[0]!.name;
  const { inputs, batch } = graphInputs(graph);

  const wired: Wired[] = [];
  const values = new Map<string, Val>();
  if (inputs.length === 1) values.set(inputs[0]!.name, { ...inputs[0]!, from: 'input' });
  else {
    // Each graph input is a slice of the program input (a gather, free; simplify pushes it into its readers).
    let at = 0;
    for (const gi of inputs) {
      const n = size(gi.shape);
      const start = at;
      const layer: Layer = {
        kind: 'permute',
        name: gi.name,
        ops: [],
        outShape: gi.shape,
        map: Int32Array.from({ length: n }, (_, i) => start + i),
      };
      wired.push({ layer, from: ['input'] });
      values.set(gi.name, { ...gi, from: layer });
      at += n;
    }
  }

  let head: Head = 'none';
  let headLayout: HeadLayout | undefined;
  for (const node of graph.nodes) {
    const acts = node.inputs.flatMap((name) => (name && values.has(name) ? [values.get(name)!] : []));
    if (acts.length === 0)
      throw new UnsupportedOperatorError(node.opType, node.name, 'reads no activation (only constants, and they did not fold)');
    const ctx: NodeContext = { graph, node, input: acts[0]!, batch };
    const chain = (lowered: Lowered, out: string) => {
      let from: Producer = acts[0]!.from;
      for (const layer of lowered.layers) {
        wired.push({ layer, from: [from] });
        from = layer;
      }
      values.set(out, { name: out, shape: lowered.shape, from });
    };
    // A node lowered to its own small DAG: its last layer computes the output.
    const dag = (lowered: LoweredMulti, out: string) => {
      wired.push(...lowered.wired);
      values.set(out, { name: out, shape: lowered.shape, from: lowered.wired[lowered.wired.length - 1]!.layer });
    };
    if (HEADS.has(node.opType)) {
      if (node.outputs[0] !== outputName) throw new UnsupportedOperatorError(node.opType, node.name, 'only on the graph output');
      ({ head, headLayout } = headOf(ctx));
      values.set(node.outputs[0]!, { ...acts[0]!, name: node.outputs[0]! });
    } else if (MULTI_OPS.has(node.opType) && (acts.length > 1 || node.opType === 'Concat')) {
      dag(lowerMulti({ graph, node, batch }, acts), node.outputs[0]!);
    } else if (NORMALIZATION_OPS.has(node.opType) && acts.length === 1) {
      dag(lowerNormalization(ctx, acts[0]!), node.outputs[0]!);
    } else if (acts.length > 1) {
      throw new UnsupportedOperatorError(node.opType, node.name, `${acts.length} activation inputs (it takes one)`);
    } else if (node.opType === 'Split') {
      lowerSplit(ctx).forEach((part, k) => {
        const out = node.outputs[k];
        if (!out) return;
        const layer: Layer = { kind: 'permute', name: `${node.name}/${k}`, ops: ['Split'], outShape: part.shape, map: part.map };
        wired.push({ layer, from: [acts[0]!.from] });
        values.set(out, { name: out, shape: part.shape, from: layer });
      });
    } else chain(lowerNode(ctx), node.outputs[0]!);
  }
  const output = values.get(outputName);
  if (!output) throw new OnnxParseError(`no node computes the graph output '${outputName}'`);

  const simplified = simplify(wired, output.from);
  const layers = numberLayers(simplified.wired, simplified.output);
  return {
    inputName: inputs[0]!.name,
    inputShape: inputs.length === 1 ? inputs[0]!.shape : [inputs.reduce((a, gi) => a + size(gi.shape), 0)],
    ...(inputs.length > 1 ? { inputs } : {}),
    batch,
    outputName,
    outputShape: output.shape,
    layers,
    head,
    ...(headLayout ? { headLayout } : {}),
    sourceOps: onnxGraph.nodes.map((n) => n.opType),
  };
}

/**
 * Drops the layers the output does not depend on and numbers the rest (tensor 0: the input, t: layer t−1's
 * output). The output's producer ends up last: every layer after it in topological order is either dead or not
 * one of its ancestors.
 */
function numberLayers(wired: Wired[], output: Producer): Layer[] {
  const fromOf = new Map(wired.map((w) => [w.layer, w.from]));
  const live = new Set<Producer>();
  const stack: Producer[] = [output];
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (p === 'input' || live.has(p)) continue;
    live.add(p);
    stack.push(...fromOf.get(p)!);
  }
  const kept = wired.filter((w) => live.has(w.layer));
  const tensor = new Map<Producer, number>([['input', 0]]);
  kept.forEach((w, l) => tensor.set(w.layer, l + 1));
  return kept.map((w, l) => {
    const inputs = w.from.map((p) => tensor.get(p)!);
    const { inputs: _stale, ...layer } = w.layer;
    return inputs.length === 1 && inputs[0] === l ? (layer as Layer) : ({ ...layer, inputs } as Layer);
  });
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
  if (next.kind === 'mul')
    return {
      ...next,
      ops: [...p.ops, ...next.ops],
      left: next.left.map((i) => p.map[i]!),
      right: next.right.map((i) => p.map[i]!),
    };
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

/**
 * Merges a layer into the one it reads when that is free or cheaper: one layer (from the first's inputs), or the
 * two swapped ([first, second], the first now reading the old first's inputs); undefined when they must stay apart.
 * A max or product layer reads one tensor (one fixed-point scale), so a permutation of several tensors stays apart.
 */
function merge(prev: Layer, layer: Layer, prevReads: number): Layer[] | undefined {
  if (prev.kind === 'affine' && layer.kind === 'affine') return [composeAffine(prev, layer)];
  if (prev.kind === 'permute' && (layer.kind === 'affine' || layer.kind === 'permute')) return [permuteInto(prev, layer)];
  if (prev.kind === 'permute' && (layer.kind === 'max' || layer.kind === 'mul') && prevReads === 1)
    return [permuteInto(prev, layer)];
  // relu and pwl are the same function on every element: apply them before a true permutation (not a gather such
  // as an edge pad, which changes the size), and keep pushing the permutation forward.
  if (prev.kind === 'permute' && (layer.kind === 'relu' || layer.kind === 'pwl') && prevReads === 1 && isBijection(prev.map))
    return [{ ...layer, outShape: [prev.map.length] }, prev];
  return undefined;
}

/**
 * Folds affine∘affine and pushes permutations into the layer that reads them (free in the circuit), wherever a
 * layer reads exactly one other layer that nothing else reads. Order stays topological: a merged layer takes the
 * reader's place; a swapped pair keeps both places.
 */
function simplify(input: Wired[], output: Producer): { wired: Wired[]; output: Producer } {
  const list = input.map((w) => ({ ...w, from: [...w.from] }));
  let out = output;
  const readers = (p: Producer) => list.reduce((n, w) => n + w.from.filter((f) => f === p).length, 0) + (out === p ? 1 : 0);
  const replace = (old: Layer, by: Layer) => {
    for (const w of list) w.from = w.from.map((f) => (f === old ? by : f));
    if (out === old) out = by;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let j = 0; j < list.length && !changed; j++) {
      const w = list[j]!;
      const prev = w.from.length === 1 ? w.from[0]! : 'input';
      if (prev === 'input' || readers(prev) !== 1) continue;
      const i = list.findIndex((v) => v.layer === prev);
      const merged = merge(prev, w.layer, list[i]!.from.length);
      if (!merged) continue;
      const prevFrom = list[i]!.from;
      if (merged.length === 1) {
        list[j] = { layer: merged[0]!, from: prevFrom };
        replace(w.layer, merged[0]!);
        list.splice(i, 1);
      } else {
        const [first, second] = merged as [Layer, Layer];
        list[i] = { layer: first, from: prevFrom };
        list[j] = { layer: second, from: [first] };
        replace(w.layer, second);
      }
      changed = true;
    }
  }
  return { wired: list, output: out };
}
