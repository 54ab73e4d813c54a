import { OnnxParseError, UnsupportedOperatorError } from '../errors';
import type { OnnxNode } from '../onnx/types';
import { constant, int, ints, optionalConstant, str, type NodeContext } from './nodeAttributes';
import { size, type AffineLayer, type AffineRow, type MaxLayer } from './types';
import { convTaps, countsND, transposedTaps, windowsND, type AxisGeometry } from './windows';

const row = (idx: number[], w: number[], b: number): AffineRow => ({ idx: Int32Array.from(idx), w: Float64Array.from(w), b });

/** [C, ...spatial] of an N-D activation (1-D to 3-D spatial), refused otherwise. */
function channelsFirst(ctx: NodeContext): { C: number; spatial: number[] } {
  const [C, ...spatial] = ctx.input.shape;
  if (C === undefined || spatial.length < 1 || spatial.length > 3)
    throw new UnsupportedOperatorError(
      ctx.node.opType,
      ctx.node.name,
      `needs an [N, C, spatial…] input with 1 to 3 spatial axes, got [N, ${ctx.input.shape}]`,
    );
  return { C, spatial };
}

function refuseAutoPad(node: OnnxNode): void {
  const autoPad = str(node, 'auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID')
    throw new UnsupportedOperatorError(node.opType, node.name, `auto_pad=${autoPad} (export with explicit pads)`);
}

/** The geometry of every spatial axis from kernel_shape, strides, dilations and pads (begin…, end…). */
function geometry(node: OnnxNode, spatial: number[], kernel: number[]): AxisGeometry[] {
  const r = spatial.length;
  if (kernel.length !== r)
    throw new OnnxParseError(`${node.opType} '${node.name}': kernel_shape [${kernel}] does not match ${r} spatial axes`);
  refuseAutoPad(node);
  const s = ints(node, 'strides', Array(r).fill(1));
  const d = ints(node, 'dilations', Array(r).fill(1));
  const p = ints(node, 'pads', Array(2 * r).fill(0));
  return spatial.map((n, a) => ({ n, kernel: kernel[a]!, stride: s[a]!, dilation: d[a]!, padBegin: p[a]!, padEnd: p[a + r]! }));
}

/** Conv 1-D/2-D/3-D with groups (depthwise included), dilation, pads, strides and an optional bias. */
export function lowerConv(ctx: NodeContext): AffineLayer {
  const { graph, node } = ctx;
  const { C, spatial } = channelsFirst(ctx);
  const Wt = constant(graph, node, node.inputs[1]);
  const [M, Cg, ...kernel] = Wt.dims as [number, number, ...number[]];
  const G = int(node, 'group', 1);
  if (C % G !== 0 || M % G !== 0 || Cg !== C / G)
    throw new OnnxParseError(`Conv '${node.name}': weight [${Wt.dims}] does not fit ${C} channels in ${G} groups`);
  const bias = optionalConstant(graph, node, 2);
  const geo = geometry(node, spatial, kernel);
  const windows = windowsND(
    geo.map((g) => convTaps(g).taps),
    kernel,
    spatial,
  );
  const kSize = size(kernel);
  const inSpatial = size(spatial);
  const rows: AffineRow[] = [];
  for (let m = 0; m < M; m++) {
    const g = Math.floor(m / (M / G));
    for (const win of windows) {
      const idx: number[] = [];
      const w: number[] = [];
      for (let c = 0; c < Cg; c++)
        for (let t = 0; t < win.k.length; t++) {
          idx.push((g * Cg + c) * inSpatial + win.at[t]!);
          w.push(Wt.data[(m * Cg + c) * kSize + win.k[t]!]!);
        }
      rows.push(row(idx, w, bias ? bias.data[m]! : 0));
    }
  }
  const outSpatial = geo.map((g) => convTaps(g).taps.length);
  return { kind: 'affine', name: node.name, ops: ['Conv'], outShape: [M, ...outSpatial], rows };
}

/** ConvTranspose 1-D/2-D/3-D with groups, dilation, pads, strides and output_padding: a gather, so affine too. */
export function lowerConvTranspose(ctx: NodeContext): AffineLayer {
  const { graph, node } = ctx;
  const { C, spatial } = channelsFirst(ctx);
  if (node.attributes.output_shape !== undefined)
    throw new UnsupportedOperatorError('ConvTranspose', node.name, 'output_shape (export with explicit pads)');
  const Wt = constant(graph, node, node.inputs[1]);
  const [Cw, Mg, ...kernel] = Wt.dims as [number, number, ...number[]];
  const G = int(node, 'group', 1);
  if (Cw !== C || C % G !== 0)
    throw new OnnxParseError(`ConvTranspose '${node.name}': weight [${Wt.dims}] does not fit ${C} channels in ${G} groups`);
  const outputPadding = ints(node, 'output_padding', Array(spatial.length).fill(0));
  const bias = optionalConstant(graph, node, 2);
  const geo = geometry(node, spatial, kernel);
  const perAxis = geo.map((g, a) => transposedTaps(g, outputPadding[a]!));
  const windows = windowsND(perAxis, kernel, spatial);
  const Cg = C / G;
  const kSize = size(kernel);
  const inSpatial = size(spatial);
  const rows: AffineRow[] = [];
  for (let m = 0; m < Mg * G; m++) {
    const g = Math.floor(m / Mg);
    for (const win of windows) {
      const idx: number[] = [];
      const w: number[] = [];
      for (let c = g * Cg; c < (g + 1) * Cg; c++)
        for (let t = 0; t < win.k.length; t++) {
          idx.push(c * inSpatial + win.at[t]!);
          w.push(Wt.data[(c * Mg + (m % Mg)) * kSize + win.k[t]!]!);
        }
      rows.push(row(idx, w, bias ? bias.data[m]! : 0));
    }
  }
  return { kind: 'affine', name: node.name, ops: ['ConvTranspose'], outShape: [Mg * G, ...perAxis.map((a) => a.length)], rows };
}

/** Pool windows per channel: input offsets, and the count_include_pad divisor of each. */
function poolCells(ctx: NodeContext) {
  const { node } = ctx;
  const { C, spatial } = channelsFirst(ctx);
  const kernel = ints(node, 'kernel_shape', []);
  if (kernel.length === 0) throw new OnnxParseError(`${node.opType} '${node.name}' has no kernel_shape`);
  const ceil = int(node, 'ceil_mode', 0) === 1;
  const geo = geometry(node, spatial, kernel);
  const perAxis = geo.map((g) => convTaps(g, ceil));
  const windows = windowsND(
    perAxis.map((a) => a.taps),
    kernel,
    spatial,
  );
  const inPad = countsND(perAxis.map((a) => a.inPad));
  if (windows.some((w) => w.at.length === 0))
    throw new UnsupportedOperatorError(node.opType, node.name, 'a window lies entirely in the padding');
  const inSpatial = size(spatial);
  const cells: { idx: number[]; inPad: number }[] = [];
  for (let c = 0; c < C; c++)
    windows.forEach((w, i) => cells.push({ idx: w.at.map((at) => c * inSpatial + at), inPad: inPad[i]! }));
  return { cells, outShape: [C, ...perAxis.map((a) => a.taps.length)] };
}

/** MaxPool 1-D/2-D/3-D with pads, strides, dilation and ceil mode; windows at a pad edge are smaller. */
export function lowerMaxPool(ctx: NodeContext): MaxLayer {
  const { node } = ctx;
  if (node.outputs[1]) throw new UnsupportedOperatorError('MaxPool', node.name, 'the Indices output');
  if (int(node, 'storage_order', 0) !== 0) throw new UnsupportedOperatorError('MaxPool', node.name, 'storage_order=1');
  const { cells, outShape } = poolCells(ctx);
  return { kind: 'max', name: node.name, ops: ['MaxPool'], outShape, groups: cells.map((c) => Int32Array.from(c.idx)) };
}

/** AveragePool 1-D/2-D/3-D with pads, strides, dilation, ceil mode and count_include_pad. */
export function lowerAveragePool(ctx: NodeContext): AffineLayer {
  const { node } = ctx;
  const { cells, outShape } = poolCells(ctx);
  const includePad = int(node, 'count_include_pad', 0) === 1;
  const rows = cells.map((c) =>
    row(
      c.idx,
      c.idx.map(() => 1 / (includePad ? c.inPad : c.idx.length)),
      0,
    ),
  );
  return { kind: 'affine', name: node.name, ops: ['AveragePool'], outShape, rows };
}

/** GlobalAveragePool over every spatial axis. */
export function lowerGlobalAveragePool(ctx: NodeContext): AffineLayer {
  const { C, spatial } = channelsFirst(ctx);
  const n = size(spatial);
  const rows = Array.from({ length: C }, (_, c) =>
    row(
      Array.from({ length: n }, (_, k) => c * n + k),
      Array(n).fill(1 / n),
      0,
    ),
  );
  return { kind: 'affine', name: ctx.node.name, ops: ['GlobalAveragePool'], outShape: [C, ...spatial.map(() => 1)], rows };
}
