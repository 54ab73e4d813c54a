import { UnsupportedOperatorError } from '../errors';
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../onnx/types';

/** An activation flowing through the chain: its tensor name and its per-sample shape (batch axis dropped). */
export type Value = { name: string; shape: number[] };

/** What lowering one node sees: the graph (constants, opset), the node, its activation input and the batch size. */
export type NodeContext = { graph: OnnxGraph; node: OnnxNode; input: Value; batch: number | null };

export const ints = (node: OnnxNode, key: string, fallback: number[]): number[] => {
  const v = node.attributes[key];
  return Array.isArray(v) ? v : fallback;
};

export const int = (node: OnnxNode, key: string, fallback: number): number => {
  const v = node.attributes[key];
  return typeof v === 'number' ? v : fallback;
};

export const str = (node: OnnxNode, key: string, fallback: string): string => {
  const v = node.attributes[key];
  return typeof v === 'string' ? v : fallback;
};

export function constant(graph: OnnxGraph, node: OnnxNode, name: string | undefined): OnnxTensor {
  const t = name ? graph.initializers.get(name) : undefined;
  if (!t)
    throw new UnsupportedOperatorError(
      node.opType,
      node.name,
      `input '${name}' must be a constant (weights are circuit constants)`,
    );
  return t;
}

/** An optional constant input (e.g. Pad's constant_value): undefined when absent or named ''. */
export const optionalConstant = (graph: OnnxGraph, node: OnnxNode, k: number): OnnxTensor | undefined =>
  node.inputs[k] ? constant(graph, node, node.inputs[k]) : undefined;

/** Row-major strides of a shape. */
export function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let a = shape.length - 2; a >= 0; a--) s[a] = s[a + 1]! * shape[a + 1]!;
  return s;
}

/**
 * Axes of an operator that are an attribute up to some opset and a constant input from it (Squeeze, Unsqueeze,
 * ReduceSum, ReduceMean): undefined when none are given.
 */
export function rawAxes(ctx: NodeContext, inputFromOpset: number): number[] | undefined {
  const { graph, node } = ctx;
  if (graph.opset >= inputFromOpset) return node.inputs[1] ? Array.from(constant(graph, node, node.inputs[1]).data) : undefined;
  return Array.isArray(node.attributes.axes) ? node.attributes.axes : undefined;
}

/** Axes normalized against `rank` (batch axis included): negative ones count from the end. */
export function normalizeAxes(ctx: NodeContext, axes: number[], rank: number): number[] {
  return axes.map((a) => {
    if (a < -rank || a >= rank)
      throw new UnsupportedOperatorError(ctx.node.opType, ctx.node.name, `axis ${a} out of range for rank ${rank}`);
    return a < 0 ? a + rank : a;
  });
}

/** rawAxes normalized against `rank`. */
export function axesOf(ctx: NodeContext, inputFromOpset: number, rank: number): number[] | undefined {
  const raw = rawAxes(ctx, inputFromOpset);
  return raw && normalizeAxes(ctx, raw, rank);
}

/** Refuses an axis list that touches the batch axis: a job proves one sample, so no operator may mix samples. */
export function refuseBatchAxis(ctx: NodeContext, axes: number[], attribute = 'axes'): void {
  if (axes.includes(0))
    throw new UnsupportedOperatorError(
      ctx.node.opType,
      ctx.node.name,
      `${attribute} include the batch axis 0 (a proof covers one sample; samples must not mix)`,
    );
}
