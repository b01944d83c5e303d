/**
 * Drawing of a macro network: the layers as one column from the image to the classifier, each labelled with its op,
 * a marker where the network halves the spatial size (`macroPoolLayers`), and skip connections as dashed arcs on
 * the right of the column.
 *
 * The layout is computed here rather than by dagre: with up to L(L−1)/2 long skip edges, a layered layout moves the
 * layers sideways to shorten them and the column zig-zags. Here the column stays straight and each skip gets a
 * lane (a vertical track right of the column); arcs whose spans do not overlap share a lane, shorter arcs run
 * closer to the column, so arcs nest like brackets.
 */
import { type MacroArchitecture, macroPoolLayers, macroSkipSources } from '../macro.js';
import { type DiagramLayout, type DiagramNode, type PlacedEdge, type PlacedNode, TITLE_HEIGHT, textWidth } from './diagram.js';
import { renderDiagramsSvg } from './svg.js';

/** Node labels, indexed by op id. */
export const MACRO_OP_LABELS = ['conv 3×3', 'sep 3×3', 'conv 5×5', 'sep 5×5', 'avg pool 3×3', 'max pool 3×3'] as const;

export interface MacroDrawOptions {
  /** Layers after which the spatial size halves; default the reference placement for this many layers. */
  poolLayers?: readonly number[];
}

const MARGIN = 8;
const ROW_HEIGHT = 28;
const ROW_GAP = 18;
const LANE_GAP = 9;
const NODE_PADDING_X = 12;

export function macroNetworkLayout(arch: MacroArchitecture, title: string, options: MacroDrawOptions = {}): DiagramLayout {
  const pools = new Set(options.poolLayers ?? macroPoolLayers(arch.layers.length));
  // Skip bit j adds output j of [stem, layer 0, …]: the stem is drawn as the first node so bit 0 has a source.
  const column: DiagramNode[] = [{ id: 'stem', label: 'image → stem conv 3×3', kind: 'input' }];
  arch.layers.forEach((layer, i) => {
    column.push({ id: `l${i}`, label: `${i}: ${MACRO_OP_LABELS[layer.op]}`, kind: 'node' });
    if (pools.has(i) && i < arch.layers.length - 1) column.push({ id: `reduce${i}`, label: 'reduce ÷2', kind: 'note' });
  });
  column.push({ id: 'output', label: 'global avg pool, fc', kind: 'output' });

  const width = Math.max(...column.map((n) => textWidth(n.label))) + 2 * NODE_PADDING_X;
  const cx = MARGIN + width / 2;
  const rowOf = new Map(column.map((n, r) => [n.id, r]));
  const y = (row: number) => TITLE_HEIGHT + MARGIN + row * (ROW_HEIGHT + ROW_GAP) + ROW_HEIGHT / 2;
  const nodes = column.map((n, r): PlacedNode => ({ ...n, x: cx, y: y(r), width, height: ROW_HEIGHT }));

  const edges: PlacedEdge[] = [];
  for (let r = 1; r < column.length; r++) {
    edges.push({
      from: column[r - 1]!.id,
      to: column[r]!.id,
      points: [
        { x: cx, y: y(r - 1) + ROW_HEIGHT / 2 },
        { x: cx, y: y(r) - ROW_HEIGHT / 2 },
      ],
      labelAt: null,
      route: 'flow-y',
    });
  }

  // Skips as row spans, shortest first, each in the first lane where it overlaps no arc already placed
  // (closed intervals, so two arcs never share a horizontal stub).
  const skips = arch.layers.flatMap((_, i) =>
    macroSkipSources(arch, i).map((j) => {
      const source = j === 0 ? 'stem' : `l${j - 1}`;
      return { from: rowOf.get(source)!, to: rowOf.get(`l${i}`)!, source, i };
    }),
  );
  skips.sort((a, b) => a.to - a.from - (b.to - b.from) || a.from - b.from);
  const lanes: { from: number; to: number }[][] = [];
  const laneOf = skips.map((s) => {
    let lane = lanes.findIndex((arcs) => arcs.every((o) => s.to < o.from || o.to < s.from));
    if (lane < 0) lane = lanes.push([]) - 1;
    lanes[lane]!.push(s);
    return lane;
  });
  // Arcs leave from the lower half of a node's right side and arrive in the upper half, spread out with the
  // outermost lane nearest the node's middle: then no arc's horizontal stub crosses another arc's vertical track.
  const endpoints = new Map<string, number[]>();
  skips.forEach((s, k) => {
    for (const key of [`out${s.from}`, `in${s.to}`]) endpoints.set(key, [...(endpoints.get(key) ?? []), k]);
  });
  const offset = (key: string, k: number) => {
    const list = [...endpoints.get(key)!].sort((a, b) => laneOf[b]! - laneOf[a]! || a - b);
    const side = key.startsWith('out') ? 1 : -1;
    return (side * ROW_HEIGHT * (list.indexOf(k) + 0.5)) / (2 * list.length);
  };
  const right = cx + width / 2;
  skips.forEach((s, k) => {
    const laneX = right + LANE_GAP * (laneOf[k]! + 1);
    const y0 = y(s.from) + offset(`out${s.from}`, k);
    const y1 = y(s.to) + offset(`in${s.to}`, k);
    edges.push({
      from: s.source,
      to: `l${s.i}`,
      kind: 'skip',
      points: [
        { x: right, y: y0 },
        { x: laneX, y: y0 },
        { x: laneX, y: y1 },
        { x: right, y: y1 },
      ],
      labelAt: null,
      route: 'polyline',
    });
  });

  const totalWidth = Math.max(right + LANE_GAP * (lanes.length + 1) + MARGIN, textWidth(title) + 16);
  return { title, width: totalWidth, height: y(column.length - 1) + ROW_HEIGHT / 2 + MARGIN, nodes, edges };
}

export function drawMacroArchitectureSvg(arch: MacroArchitecture, title = 'macro network', options: MacroDrawOptions = {}): string {
  return renderDiagramsSvg(title, [macroNetworkLayout(arch, title, options)]);
}
