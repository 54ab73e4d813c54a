import { InvalidInputError, OnnxParseError, UnsupportedOperatorError } from '../errors';
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../onnx/types';
import { size, type AffineLayer, type AffineRow, type Head, type Layer, type Program } from './types';

export const SUPPORTED_OPS = [
  'Gemm',
  'MatMul',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Relu',
  'Conv',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Flatten',
  'Reshape',
  'Transpose',
  'Identity',
  'BatchNormalization',
  'Softmax',
  'ArgMax',
] as const;

type Value = { name: string; shape: number[] };

/** Checks every node before any work starts, so an unsupported model fails at once with the node named. */
export function checkSupported(graph: OnnxGraph): void {
  for (const node of graph.nodes) {
    if (!(SUPPORTED_OPS as readonly string[]).includes(node.opType)) throw new UnsupportedOperatorError(node.opType, node.name);
  }
}

const ints = (node: OnnxNode, key: string, fallback: number[]): number[] => {
  const v = node.attributes[key];
  return Array.isArray(v) ? v : fallback;
};
const int = (node: OnnxNode, key: string, fallback: number): number => {
  const v = node.attributes[key];
  return typeof v === 'number' ? v : fallback;
};

function constant(graph: OnnxGraph, node: OnnxNode, name: string | undefined): OnnxTensor {
  const t = name ? graph.initializers.get(name) : undefined;
  if (!t)
    throw new UnsupportedOperatorError(
      node.opType,
      node.name,
      `input '${name}' must be a constant (weights are circuit constants)`,
    );
  return t;
}

/** Index into a constant broadcast (numpy rules) against a tensor of shape [1, ...shape]. */
function broadcastIndex(shape: number[], dims: number[]): (i: number) => number {
  const full = [1, ...shape];
  if (dims.length > full.length) throw new OnnxParseError(`constant of shape [${dims}] cannot broadcast to [${full}]`);
  const padded = [...Array(full.length - dims.length).fill(1), ...dims];
  padded.forEach((d, a) => {
    if (d !== 1 && d !== full[a]) throw new OnnxParseError(`constant of shape [${dims}] cannot broadcast to [${full}]`);
  });
  const strides = padded.map((_, a) => padded.slice(a + 1).reduce((x, y) => x * y, 1));
  const fullStrides = full.map((_, a) => full.slice(a + 1).reduce((x, y) => x * y, 1));
  return (i: number) => {
    let j = 0;
    for (let a = 0; a < full.length; a++) {
      const coord = Math.floor(i / fullStrides[a]!) % full[a]!;
      if (padded[a] !== 1) j += coord * strides[a]!;
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

function chw(node: OnnxNode, input: Value): [number, number, number] {
  if (input.shape.length !== 3)
    throw new UnsupportedOperatorError(node.opType, node.name, `needs a [N, C, H, W] input, got [1, ${input.shape}]`);
  return input.shape as [number, number, number];
}

/** Output extent and the valid kernel taps of each output position along one axis. */
function windows(n: number, k: number, stride: number, padBegin: number, padEnd: number): number[][] {
  const out = Math.floor((n + padBegin + padEnd - k) / stride) + 1;
  return Array.from({ length: out }, (_, o) => {
    const taps: number[] = [];
    for (let t = 0; t < k; t++) {
      const at = o * stride - padBegin + t;
      if (at >= 0 && at < n) taps.push(t);
    }
    return taps;
  });
}

function lowerConv(graph: OnnxGraph, node: OnnxNode, input: Value): AffineLayer {
  const [C, H, W] = chw(node, input);
  const Wt = constant(graph, node, node.inputs[1]);
  const [M, Cg, KH, KW] = Wt.dims as [number, number, number, number];
  if (int(node, 'group', 1) !== 1 || Cg !== C) throw new UnsupportedOperatorError('Conv', node.name, 'grouped convolution');
  if (ints(node, 'dilations', [1, 1]).some((d) => d !== 1))
    throw new UnsupportedOperatorError('Conv', node.name, 'dilation other than 1');
  const autoPad = node.attributes.auto_pad;
  if (autoPad !== undefined && autoPad !== 'NOTSET')
    throw new UnsupportedOperatorError('Conv', node.name, `auto_pad=${String(autoPad)}`);
  const [sh, sw] = ints(node, 'strides', [1, 1]) as [number, number];
  const [pt, pl, pb, pr] = ints(node, 'pads', [0, 0, 0, 0]) as [number, number, number, number];
  const bias = node.inputs[2] ? constant(graph, node, node.inputs[2]) : undefined;
  const hw = windows(H, KH, sh, pt, pb);
  const ww = windows(W, KW, sw, pl, pr);
  const rows: AffineRow[] = [];
  for (let m = 0; m < M; m++)
    for (let oh = 0; oh < hw.length; oh++)
      for (let ow = 0; ow < ww.length; ow++) {
        const idx: number[] = [];
        const w: number[] = [];
        for (let c = 0; c < C; c++)
          for (const i of hw[oh]!)
            for (const j of ww[ow]!) {
              idx.push((c * H + (oh * sh - pt + i)) * W + (ow * sw - pl + j));
              w.push(Wt.data[((m * C + c) * KH + i) * KW + j]!);
            }
        rows.push(row(idx, w, bias ? bias.data[m]! : 0));
      }
  return { kind: 'affine', name: node.name, ops: ['Conv'], outShape: [M, hw.length, ww.length], rows };
}

function poolWindows(node: OnnxNode, input: Value) {
  const [C, H, W] = chw(node, input);
  const [KH, KW] = ints(node, 'kernel_shape', []) as [number, number];
  if (!KH || !KW) throw new OnnxParseError(`${node.opType} '${node.name}' has no kernel_shape`);
  if (int(node, 'ceil_mode', 0) !== 0) throw new UnsupportedOperatorError(node.opType, node.name, 'ceil_mode=1');
  if (ints(node, 'dilations', [1, 1]).some((d) => d !== 1))
    throw new UnsupportedOperatorError(node.opType, node.name, 'dilation other than 1');
  const [sh, sw] = ints(node, 'strides', [1, 1]) as [number, number];
  const [pt, pl, pb, pr] = ints(node, 'pads', [0, 0, 0, 0]) as [number, number, number, number];
  const hw = windows(H, KH, sh, pt, pb);
  const ww = windows(W, KW, sw, pl, pr);
  const cells: { idx: number[]; kernel: number }[] = [];
  for (let c = 0; c < C; c++)
    for (let oh = 0; oh < hw.length; oh++)
      for (let ow = 0; ow < ww.length; ow++) {
        const idx: number[] = [];
        for (const i of hw[oh]!) for (const j of ww[ow]!) idx.push((c * H + (oh * sh - pt + i)) * W + (ow * sw - pl + j));
        cells.push({ idx, kernel: KH * KW });
      }
  return { cells, outShape: [C, hw.length, ww.length] };
}

function lowerNode(graph: OnnxGraph, node: OnnxNode, input: Value): { layers: Layer[]; shape: number[] } {
  const scalarOrBroadcast = (name: string | undefined) => {
    const t = constant(graph, node, name);
    const at = broadcastIndex(input.shape, t.dims);
    return (i: number) => t.data[at(i)]!;
  };
  switch (node.opType) {
    case 'Gemm': {
      const l = lowerGemm(graph, node, input);
      return { layers: [l], shape: l.outShape };
    }
    case 'MatMul': {
      const l = lowerMatMul(graph, node, input);
      return { layers: [l], shape: l.outShape };
    }
    case 'Conv': {
      const l = lowerConv(graph, node, input);
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
    case 'BatchNormalization': {
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
    case 'MaxPool': {
      if (node.outputs.length > 1 && node.outputs[1])
        throw new UnsupportedOperatorError('MaxPool', node.name, 'the Indices output');
      const { cells, outShape } = poolWindows(node, input);
      return {
        layers: [{ kind: 'max', name: node.name, ops: ['MaxPool'], outShape, groups: cells.map((c) => Int32Array.from(c.idx)) }],
        shape: outShape,
      };
    }
    case 'AveragePool': {
      const { cells, outShape } = poolWindows(node, input);
      const includePad = int(node, 'count_include_pad', 0) === 1;
      const rows = cells.map((c) =>
        row(
          c.idx,
          c.idx.map(() => 1 / (includePad ? c.kernel : c.idx.length)),
          0,
        ),
      );
      return { layers: [{ kind: 'affine', name: node.name, ops: ['AveragePool'], outShape, rows }], shape: outShape };
    }
    case 'GlobalAveragePool': {
      const [C, H, W] = chw(node, input);
      const rows = Array.from({ length: C }, (_, c) =>
        row(
          Array.from({ length: H * W }, (_, k) => c * H * W + k),
          Array(H * W).fill(1 / (H * W)),
          0,
        ),
      );
      return {
        layers: [{ kind: 'affine', name: node.name, ops: ['GlobalAveragePool'], outShape: [C, 1, 1], rows }],
        shape: [C, 1, 1],
      };
    }
    case 'Flatten': {
      if (int(node, 'axis', 1) !== 1) throw new UnsupportedOperatorError('Flatten', node.name, 'axis other than 1');
      return { layers: [], shape: [size(input.shape)] };
    }
    case 'Reshape': {
      const target = Array.from(constant(graph, node, node.inputs[1]).data);
      const full = [1, ...input.shape];
      const dims = target.map((d, a) => (d === 0 ? full[a]! : d));
      const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      const resolved = dims.map((d) => (d === -1 ? size(full) / known : d));
      if (size(resolved) !== size(full))
        throw new InvalidInputError(`Reshape '${node.name}': [${target}] does not fit [${full}]`);
      if (resolved[0] !== 1) throw new UnsupportedOperatorError('Reshape', node.name, 'reshaping the batch dimension');
      return { layers: [], shape: resolved.slice(1) };
    }
    case 'Transpose': {
      const rank = input.shape.length + 1;
      const perm = ints(
        node,
        'perm',
        Array.from({ length: rank }, (_, a) => rank - 1 - a),
      );
      if (perm[0] !== 0) throw new UnsupportedOperatorError('Transpose', node.name, 'moving the batch dimension');
      const axes = perm.slice(1).map((p) => p - 1);
      const outShape = axes.map((a) => input.shape[a]!);
      const inStrides = input.shape.map((_, a) => input.shape.slice(a + 1).reduce((x, y) => x * y, 1));
      const map = new Int32Array(size(outShape));
      for (let i = 0; i < map.length; i++) {
        let rest = i;
        let src = 0;
        for (let a = outShape.length - 1; a >= 0; a--) {
          const coord = rest % outShape[a]!;
          rest = Math.floor(rest / outShape[a]!);
          src += coord * inStrides[axes[a]!]!;
        }
        map[i] = src;
      }
      return { layers: [{ kind: 'permute', name: node.name, ops: ['Transpose'], outShape, map }], shape: outShape };
    }
    case 'Identity':
      return { layers: [], shape: input.shape };
    default:
      throw new UnsupportedOperatorError(node.opType, node.name);
  }
}

/**
 * Lowers a feed-forward ONNX graph (each node consumes the previous node's output plus constants) to the layer
 * IR. A trailing Softmax is dropped (argmax and ordering survive it) and a trailing ArgMax becomes the head.
 */
export function lowerGraph(graph: OnnxGraph): Program {
  checkSupported(graph);
  if (graph.inputs.length !== 1) throw new OnnxParseError(`expected one graph input, found ${graph.inputs.length}`);
  if (graph.outputs.length !== 1) throw new OnnxParseError(`expected one graph output, found ${graph.outputs.length}`);
  const gi = graph.inputs[0]!;
  const [batch, ...rest] = gi.shape;
  if (batch !== null && batch !== 1) throw new OnnxParseError(`input batch dimension must be 1 or dynamic, got ${batch}`);
  if (rest.some((d) => d === null)) throw new OnnxParseError(`input '${gi.name}' has dynamic non-batch dimensions`);
  const inputShape = rest as number[];

  let current: Value = { name: gi.name, shape: inputShape };
  const layers: Layer[] = [];
  let head: Head = 'none';
  graph.nodes.forEach((node, n) => {
    const last = n === graph.nodes.length - 1;
    if (!node.inputs.includes(current.name))
      throw new UnsupportedOperatorError(
        node.opType,
        node.name,
        `does not consume '${current.name}' (only sequential graphs are supported)`,
      );
    if (node.opType === 'Softmax' || node.opType === 'ArgMax') {
      if (!last) throw new UnsupportedOperatorError(node.opType, node.name, 'only as the last node');
      head = node.opType === 'Softmax' ? 'softmax' : 'argmax';
      current = { name: node.outputs[0]!, shape: current.shape };
      return;
    }
    const lowered = lowerNode(graph, node, current);
    layers.push(...lowered.layers);
    current = { name: node.outputs[0]!, shape: lowered.shape };
  });
  if (current.name !== graph.outputs[0]!.name)
    throw new OnnxParseError(`the last node's output '${current.name}' is not the graph output '${graph.outputs[0]!.name}'`);

  return {
    inputName: gi.name,
    inputShape,
    outputName: current.name,
    outputShape: current.shape,
    layers: simplify(layers),
    head,
    sourceOps: graph.nodes.map((n) => n.opType),
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

/** Merges two adjacent layers when that is free or cheaper; undefined when they must stay apart. */
function merge(prev: Layer, layer: Layer): Layer[] | undefined {
  if (prev.kind === 'affine' && layer.kind === 'affine') return [composeAffine(prev, layer)];
  if (prev.kind === 'permute' && (layer.kind === 'affine' || layer.kind === 'max' || layer.kind === 'permute'))
    return [permuteInto(prev, layer)];
  // relu is elementwise: apply it before the permutation, and keep pushing the permutation forward.
  if (prev.kind === 'permute' && layer.kind === 'relu') return [layer, prev];
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
