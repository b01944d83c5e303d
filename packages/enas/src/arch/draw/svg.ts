/**
 * SVG text for a laid-out diagram: standalone (xmlns, inline presentation attributes, no stylesheet or DOM), so the
 * same string can be written to a .svg file by the CLI or put into a page by the viewer. Class names on every
 * element let a page restyle it. Numbers are printed with two decimals at most, so output is byte-for-byte stable.
 */
import { type DiagramLayout, type DiagramPoint, edgeLabelSize, FONT_SIZE, type PlacedEdge, type PlacedNode } from './diagram.js';

const COLORS = {
  input: { fill: '#e8f0fe', stroke: '#1a73e8' },
  node: { fill: '#ffffff', stroke: '#3c4043' },
  output: { fill: '#fef7e0', stroke: '#e37400' },
  note: { fill: '#f1f3f4', stroke: '#9aa0a6' },
  edge: '#5f6368',
  skip: '#188038',
  text: '#202124',
} as const;

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function formatNumber(n: number): string {
  const rounded = Math.round(n * 100) / 100;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

type Attributes = Readonly<Record<string, string | number>>;

export function element(name: string, attributes: Attributes, content?: string): string {
  const attrs = Object.entries(attributes)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? formatNumber(v) : escapeXml(v)}"`)
    .join('');
  return content === undefined ? `<${name}${attrs}/>` : `<${name}${attrs}>${content}</${name}>`;
}

/** SVG path data through the points of an edge, drawn as its route says. */
export function edgePath(points: readonly DiagramPoint[], route: PlacedEdge['route']): string {
  const p = (q: DiagramPoint) => `${formatNumber(q.x)},${formatNumber(q.y)}`;
  if (points.length === 0) return '';
  let d = `M${p(points[0]!)}`;
  if (route === 'polyline') {
    // Straight segments; each corner is rounded by a quadratic curve between the midpoints of its two segments.
    for (let i = 1; i < points.length - 1; i++) {
      const a = points[i]!;
      const b = points[i + 1]!;
      const mid = i === points.length - 2 ? b : { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      d += ` Q${p(a)} ${p(mid)}`;
    }
    if (points.length === 2) d += ` L${p(points[1]!)}`;
    return d;
  }
  // Cubic segments leaving and entering every point along the flow axis.
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const c1 = route === 'flow-x' ? { x: (a.x + b.x) / 2, y: a.y } : { x: a.x, y: (a.y + b.y) / 2 };
    const c2 = route === 'flow-x' ? { x: (a.x + b.x) / 2, y: b.y } : { x: b.x, y: (a.y + b.y) / 2 };
    d += ` C${p(c1)} ${p(c2)} ${p(b)}`;
  }
  return d;
}

function renderEdge(edge: PlacedEdge): string {
  const skip = edge.kind === 'skip';
  const color = skip ? COLORS.skip : COLORS.edge;
  const path = element('path', {
    class: skip ? 'edge edge-skip' : 'edge',
    d: edgePath(edge.points, edge.route),
    fill: 'none',
    stroke: color,
    'stroke-width': 1.4,
    ...(skip ? { 'stroke-dasharray': '5 3' } : {}),
    'marker-end': `url(#${skip ? 'enas-arrow-skip' : 'enas-arrow'})`,
  });
  if (!edge.label || !edge.labelAt) return path;
  const size = edgeLabelSize(edge.label);
  const { x, y } = edge.labelAt;
  const background = element('rect', {
    x: x - size.width / 2,
    y: y - size.height / 2,
    width: size.width,
    height: size.height,
    rx: 3,
    fill: '#ffffff',
    'fill-opacity': 0.9,
  });
  const text = element(
    'text',
    { class: 'edge-label', x, y, 'text-anchor': 'middle', 'dominant-baseline': 'central', fill: color },
    escapeXml(edge.label),
  );
  return path + background + text;
}

function renderNode(node: PlacedNode): string {
  const style = COLORS[node.kind];
  const rect = element('rect', {
    x: node.x - node.width / 2,
    y: node.y - node.height / 2,
    width: node.width,
    height: node.height,
    rx: node.kind === 'node' ? 4 : 14,
    fill: style.fill,
    stroke: style.stroke,
    'stroke-width': node.emphasis ? 2.6 : 1.2,
  });
  const text = element(
    'text',
    { class: 'node-label', x: node.x, y: node.y, 'text-anchor': 'middle', 'dominant-baseline': 'central', fill: COLORS.text },
    escapeXml(node.label),
  );
  const classes = `node node-${node.kind}${node.emphasis ? ' node-emphasis' : ''}`;
  return element('g', { class: classes, 'data-id': node.id }, rect + text);
}

function arrowMarker(id: string, color: string): string {
  return element(
    'marker',
    { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    element('path', { d: 'M0,0 L10,5 L0,10 z', fill: color }),
  );
}

function renderDiagram(layout: DiagramLayout): string {
  const heading = element(
    'text',
    { class: 'diagram-title', x: 8, y: 16, 'font-weight': 'bold', fill: COLORS.text },
    escapeXml(layout.title),
  );
  const edges = element('g', { class: 'edges' }, layout.edges.map(renderEdge).join(''));
  const nodes = element('g', { class: 'nodes' }, layout.nodes.map(renderNode).join(''));
  return heading + edges + nodes;
}

/**
 * One <svg> element holding the diagrams side by side, left to right, `gap` apart. Marker ids are fixed; the
 * definitions are identical in every drawing, so two drawings in one page still render the same.
 */
export function renderDiagramsSvg(title: string, layouts: readonly DiagramLayout[], gap = 32): string {
  let x = 0;
  const groups = layouts.map((layout) => {
    const group = element('g', { class: 'diagram', transform: `translate(${formatNumber(x)} 0)` }, renderDiagram(layout));
    x += Math.ceil(layout.width) + gap;
    return group;
  });
  const width = Math.max(1, x - gap);
  const height = Math.max(1, ...layouts.map((l) => Math.ceil(l.height)));
  const defs = element('defs', {}, arrowMarker('enas-arrow', COLORS.edge) + arrowMarker('enas-arrow-skip', COLORS.skip));
  return element(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      'font-family': 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
      'font-size': FONT_SIZE,
    },
    element('title', {}, escapeXml(title)) + defs + groups.join(''),
  );
}
