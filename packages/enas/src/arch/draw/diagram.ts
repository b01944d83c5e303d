/**
 * A diagram is a labelled DAG to lay out and draw: the three architecture drawings build one, `layoutDiagram` places
 * it with dagre (Sugiyama-style layered layout, pure JavaScript, the same in Node and browsers), and
 * `renderDiagramSvg` writes the SVG text.
 */
import { Graph, layout } from '@dagrejs/dagre';

/** Node kinds select the style: cell/network inputs, computed nodes, outputs, and annotations (e.g. a reduction). */
export type DiagramNodeKind = 'input' | 'node' | 'output' | 'note';
/** Edge kinds: the data path, or a skip connection (drawn dashed). */
export type DiagramEdgeKind = 'data' | 'skip';

export interface DiagramNode {
  readonly id: string;
  readonly label: string;
  readonly kind: DiagramNodeKind;
  /** Drawn with a heavier border (e.g. RNN loose ends). */
  readonly emphasis?: boolean;
}

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly label?: string;
  readonly kind?: DiagramEdgeKind;
}

export interface Diagram {
  readonly title: string;
  /** Top-to-bottom (a network column) or left-to-right (a cell). */
  readonly direction: 'TB' | 'LR';
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
  /** Node ids in the order they should appear within a rank (top to bottom, or left to right), where possible. */
  readonly order?: readonly string[];
}

export interface DiagramPoint {
  readonly x: number;
  readonly y: number;
}

export interface PlacedNode extends DiagramNode {
  /** Centre and size. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface PlacedEdge extends DiagramEdge {
  readonly points: readonly DiagramPoint[];
  /**
   * How to draw through the points: 'flow-x' / 'flow-y' as curves whose tangents follow the layout direction
   * (left-to-right or top-to-bottom), 'polyline' as straight segments with rounded corners.
   */
  readonly route: 'flow-x' | 'flow-y' | 'polyline';
  /** Centre of the label, when the edge has one. */
  readonly labelAt: DiagramPoint | null;
}

export interface DiagramLayout {
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly PlacedEdge[];
}

/** Text metrics without a DOM: the drawings use a monospace font, whose advance is about 0.6 em. */
export const FONT_SIZE = 12;
export const CHAR_WIDTH = 0.6 * FONT_SIZE;
const NODE_HEIGHT = 28;
const MIN_NODE_WIDTH = 48;
const NODE_PADDING_X = 12;
const EDGE_LABEL_HEIGHT = 16;
const EDGE_LABEL_PADDING_X = 4;
/** Space above the drawing for the title. */
export const TITLE_HEIGHT = 24;

export function textWidth(text: string): number {
  return [...text].length * CHAR_WIDTH;
}

export function edgeLabelSize(label: string): { width: number; height: number } {
  return { width: textWidth(label) + 2 * EDGE_LABEL_PADDING_X, height: EDGE_LABEL_HEIGHT };
}

export function layoutDiagram(diagram: Diagram): DiagramLayout {
  const ids = new Set(diagram.nodes.map((n) => n.id));
  if (ids.size !== diagram.nodes.length) throw new Error(`layoutDiagram: "${diagram.title}" has duplicate node ids`);
  // A multigraph: a micro node may read the same input twice, through two different ops.
  const g = new Graph({ multigraph: true });
  g.setGraph({
    rankdir: diagram.direction,
    nodesep: 24,
    ranksep: diagram.direction === 'LR' ? 56 : 28,
    edgesep: 12,
    marginx: 8,
    marginy: 8,
  });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of diagram.nodes) {
    g.setNode(node.id, { width: Math.max(MIN_NODE_WIDTH, textWidth(node.label) + 2 * NODE_PADDING_X), height: NODE_HEIGHT });
  }
  diagram.edges.forEach((edge, i) => {
    for (const end of [edge.from, edge.to]) {
      if (!ids.has(end)) throw new Error(`layoutDiagram: "${diagram.title}" edge ${i} refers to unknown node "${end}"`);
    }
    const size = edge.label ? edgeLabelSize(edge.label) : { width: 0, height: 0 };
    g.setEdge(edge.from, edge.to, { ...size, labelpos: 'c', minlen: 1 }, `e${i}`);
  });
  // Keep nodes that share a rank in reading order (h[-2] above h[-1], node 2 above node 3).
  const order = diagram.order ?? [];
  layout(g, { constraints: order.slice(1).map((right, i) => ({ left: order[i]!, right })) });

  const graph = g.graph();
  const nodes = diagram.nodes.map((node): PlacedNode => {
    const placed = g.node(node.id);
    return { ...node, x: placed.x ?? 0, y: (placed.y ?? 0) + TITLE_HEIGHT, width: placed.width, height: placed.height };
  });
  const raw = diagram.edges.map((edge, i) => {
    const placed = g.edge({ v: edge.from, w: edge.to, name: `e${i}` });
    const points = (placed.points ?? []).map((p: DiagramPoint) => ({ x: p.x, y: p.y + TITLE_HEIGHT }));
    const labelAt = edge.label && placed.x !== undefined && placed.y !== undefined ? { x: placed.x, y: placed.y + TITLE_HEIGHT } : null;
    return { edge, points, labelAt };
  });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const horizontal = diagram.direction === 'LR';
  const starts = sidePorts(raw, byId, 'out', horizontal);
  const ends = sidePorts(raw, byId, 'in', horizontal);
  const edges = raw.map(({ edge, points, labelAt }, i): PlacedEdge => {
    const inner = points.slice(1, -1);
    return { ...edge, points: [starts.get(i)!, ...inner, ends.get(i)!], labelAt, route: horizontal ? 'flow-x' : 'flow-y' };
  });
  const width = Math.max(graph.width ?? 0, textWidth(diagram.title) + 16);
  return { title: diagram.title, width, height: (graph.height ?? 0) + TITLE_HEIGHT, nodes, edges };
}

/**
 * Where each edge leaves (`out`) or enters (`in`) its node. dagre ends edges where the line to the node centre
 * crosses the border, which for steep edges is the top or bottom and makes them cut across neighbouring nodes.
 * Ending every edge on the side facing the flow instead, spread along that side in the order of the edges'
 * neighbouring points, keeps a cell readable.
 */
function sidePorts(
  raw: readonly { edge: DiagramEdge; points: readonly DiagramPoint[] }[],
  byId: ReadonlyMap<string, PlacedNode>,
  side: 'out' | 'in',
  horizontal: boolean,
): Map<number, DiagramPoint> {
  const groups = new Map<string, number[]>();
  raw.forEach((r, i) => {
    const key = side === 'out' ? r.edge.from : r.edge.to;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const at = new Map<number, DiagramPoint>();
  const sign = side === 'out' ? 1 : -1;
  for (const [id, indices] of groups) {
    const node = byId.get(id)!;
    const neighbour = (i: number) => {
      const pts = raw[i]!.points;
      const p = side === 'out' ? (pts[1] ?? pts[0]) : (pts.at(-2) ?? pts.at(-1));
      return p ? (horizontal ? p.y : p.x) : 0;
    };
    const sorted = [...indices].sort((a, b) => neighbour(a) - neighbour(b) || a - b);
    const extent = (horizontal ? node.height : node.width) * 0.6;
    sorted.forEach((i, k) => {
      const offset = sorted.length === 1 ? 0 : -extent / 2 + (extent * k) / (sorted.length - 1);
      at.set(
        i,
        horizontal
          ? { x: node.x + (sign * node.width) / 2, y: node.y + offset }
          : { x: node.x + offset, y: node.y + (sign * node.height) / 2 },
      );
    });
  }
  return at;
}
