import type { OnnxGraph, OnnxNode } from '../onnx/types';

/**
 * Rewrites the subgraph PyTorch exports for nn.Softsign before opset 10 has a Softsign of its own,
 * Div(x, Add(Abs(x), 1)), into one Softsign node named after the three, so the chain sees one elementwise
 * activation. The intermediates must feed nothing else.
 */
export function fuseSoftsign(graph: OnnxGraph): OnnxGraph {
  const uses = (name: string) =>
    graph.nodes.reduce((n, node) => n + node.inputs.filter((i) => i === name).length, 0) +
    graph.outputs.filter((o) => o.name === name).length;
  const isOne = (name: string | undefined) => {
    const t = name === undefined ? undefined : graph.initializers.get(name);
    return t !== undefined && t.data.length === 1 && t.data[0] === 1;
  };
  const nodes: OnnxNode[] = [];
  for (let n = 0; n < graph.nodes.length; n++) {
    const [abs, add, div] = [graph.nodes[n]!, graph.nodes[n + 1], graph.nodes[n + 2]];
    const x = abs.inputs[0]!;
    const absOut = abs.outputs[0]!;
    const fused =
      abs.opType === 'Abs' &&
      add?.opType === 'Add' &&
      div?.opType === 'Div' &&
      add.inputs.length === 2 &&
      add.inputs.includes(absOut) &&
      isOne(add.inputs.find((i) => i !== absOut)) &&
      div.inputs[0] === x &&
      div.inputs[1] === add.outputs[0] &&
      uses(absOut) === 1 &&
      uses(add.outputs[0]!) === 1;
    if (!fused) {
      nodes.push(abs);
      continue;
    }
    nodes.push({
      name: `${abs.name}+${add.name}+${div.name}`,
      opType: 'Softsign',
      inputs: [x],
      outputs: div.outputs,
      attributes: {},
    });
    n += 2;
  }
  return { ...graph, nodes };
}
