/**
 * Drawing of an RNN cell: x[t] and h[t-1] into node 0 (fixed tanh), each searched node labelled with its activation
 * and fed by its predecessor, and the output h[t] as the mean of the averaged nodes. Loose ends are emphasised.
 */
import { type RnnArchitecture, rnnLooseEnds } from '../rnn.js';
import { type Diagram, type DiagramEdge, type DiagramNode, layoutDiagram } from './diagram.js';
import { renderDiagramsSvg } from './svg.js';

export const RNN_FUNC_LABELS = ['tanh', 'relu', 'sigmoid', 'identity'] as const;

export interface RnnDrawOptions {
  /**
   * Which nodes the output averages: 'all' nodes 1..N (enas_lm search and GPU final code, the default) or only the
   * 'loose-ends' (enas_lm TPU code, and the paper's figure).
   */
  average?: 'all' | 'loose-ends';
}

export function rnnCellDiagram(arch: RnnArchitecture, title: string, options: RnnDrawOptions = {}): Diagram {
  const loose = new Set(rnnLooseEnds(arch));
  const nodes: DiagramNode[] = [
    { id: 'x', label: 'x[t]', kind: 'input' },
    { id: 'h', label: 'h[t-1]', kind: 'input' },
    { id: 'n0', label: '0: tanh', kind: 'node' },
    ...arch.nodes.map(
      (node, k): DiagramNode => ({
        id: `n${k + 1}`,
        label: `${k + 1}: ${RNN_FUNC_LABELS[node.func]}`,
        kind: 'node',
        emphasis: loose.has(k + 1),
      }),
    ),
    { id: 'out', label: 'h[t] = mean', kind: 'output' },
  ];
  const edges: DiagramEdge[] = [
    { from: 'x', to: 'n0' },
    { from: 'h', to: 'n0' },
    ...arch.nodes.map((node, k): DiagramEdge => ({ from: `n${node.prev}`, to: `n${k + 1}` })),
  ];
  const averaged = options.average === 'loose-ends' ? [...loose] : arch.nodes.map((_, k) => k + 1);
  for (const j of averaged) edges.push({ from: `n${j}`, to: 'out' });
  return { title, direction: 'LR', nodes, edges };
}

export function drawRnnArchitectureSvg(arch: RnnArchitecture, title = 'RNN cell', options: RnnDrawOptions = {}): string {
  return renderDiagramsSvg(title, [layoutDiagram(rnnCellDiagram(arch, title, options))]);
}
