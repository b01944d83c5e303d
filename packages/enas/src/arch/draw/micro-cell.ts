/**
 * Drawing of micro cells: the inputs h[-2] and h[-1], each computed node with its two ops on its incoming edges
 * (the node adds them), and the concat output fed by every index no node reads (`microCellOutputs`).
 */
import { type MicroArchitecture, type MicroCell, microCellOutputs, microIndexLabel } from '../micro.js';
import { type Diagram, type DiagramEdge, type DiagramNode, layoutDiagram } from './diagram.js';
import { renderDiagramsSvg } from './svg.js';

/** Edge labels, indexed by op id. */
export const MICRO_OP_LABELS = ['sep 3×3', 'sep 5×5', 'avg 3×3', 'max 3×3', 'identity'] as const;

export function microCellDiagram(cell: MicroCell, title: string): Diagram {
  const id = (index: number) => (index < 2 ? `in${index}` : `n${index}`);
  const nodes: DiagramNode[] = [
    { id: 'in0', label: microIndexLabel(0), kind: 'input' },
    { id: 'in1', label: microIndexLabel(1), kind: 'input' },
    ...cell.map((_, j): DiagramNode => ({ id: id(j + 2), label: microIndexLabel(j + 2), kind: 'node' })),
    { id: 'out', label: 'concat', kind: 'output' },
  ];
  const edges: DiagramEdge[] = cell.flatMap((node, j) =>
    ([0, 1] as const).map((k): DiagramEdge => ({ from: id(node.inputs[k]), to: id(j + 2), label: MICRO_OP_LABELS[node.ops[k]] })),
  );
  for (const index of microCellOutputs(cell)) edges.push({ from: id(index), to: 'out' });
  return { title, direction: 'LR', nodes, edges, order: nodes.map((n) => n.id) };
}

export function drawMicroCellSvg(cell: MicroCell, title = 'micro cell'): string {
  return renderDiagramsSvg(title, [layoutDiagram(microCellDiagram(cell, title))]);
}

/** The normal and the reduction cell side by side. */
export function drawMicroArchitectureSvg(arch: MicroArchitecture, title = 'micro architecture'): string {
  return renderDiagramsSvg(title, [
    layoutDiagram(microCellDiagram(arch.normal, 'normal cell')),
    layoutDiagram(microCellDiagram(arch.reduction, 'reduction cell')),
  ]);
}
