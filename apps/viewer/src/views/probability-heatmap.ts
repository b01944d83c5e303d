/**
 * The micro controller's distributions as heat maps: per cell, one grid for the input choices (rows: each node's
 * two inputs; columns: the earlier indices it may read) and one for the op choices (columns: the five ops). The
 * sampled choice is outlined, so the drawn cell and its probabilities read together. Pure: returns SVG text.
 *
 * Decision order is the controller's (micro_controller.py): per node index_1, op_1, index_2, op_2; normal cell
 * first, then the reduction cell.
 */
import { MICRO_OP_LABELS, type MicroArchitecture, microIndexLabel } from '@enas-webgpu/enas';
import { escapeHtml } from './dom.js';

const CELL = 26;
const GAP = 8;
const ROW_LABEL = 64;
const HEADER = 34;
const TITLE = 20;
const LABEL_OVERHANG = 34;

/** Light to dark blue (ColorBrewer Blues), interpolated in RGB; p in [0, 1]. */
const BLUES = ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'];

export function probabilityColor(p: number): string {
  const t = Math.min(1, Math.max(0, p)) * (BLUES.length - 1);
  const i = Math.min(BLUES.length - 2, Math.floor(t));
  const mix = (a: string, b: string, s: number, k: number) => {
    const x = Number.parseInt(a.slice(k, k + 2), 16);
    const y = Number.parseInt(b.slice(k, k + 2), 16);
    return Math.round(x + (y - x) * s)
      .toString(16)
      .padStart(2, '0');
  };
  const a = BLUES[i] as string;
  const b = BLUES[i + 1] as string;
  return `#${mix(a, b, t - i, 1)}${mix(a, b, t - i, 3)}${mix(a, b, t - i, 5)}`;
}

interface Grid {
  title: string;
  columns: string[];
  rows: { label: string; p: Float64Array; chosen: number }[];
}

function gridSize(g: Grid): { width: number; height: number } {
  // The last column's label leans right, past the grid.
  return { width: ROW_LABEL + g.columns.length * CELL + LABEL_OVERHANG, height: TITLE + HEADER + g.rows.length * CELL };
}

function renderGrid(g: Grid, x0: number, y0: number): string {
  const parts: string[] = [];
  parts.push(`<text class="heat-title" x="${x0}" y="${y0 + 14}" font-weight="600">${escapeHtml(g.title)}</text>`);
  const top = y0 + TITLE + HEADER;
  g.columns.forEach((label, c) => {
    const cx = x0 + ROW_LABEL + c * CELL + CELL / 2;
    // Column labels stand at 45° so that "node 5" fits over a 26-pixel column.
    parts.push(
      `<text class="heat-col" x="${cx}" y="${top - 6}" transform="rotate(-40 ${cx} ${top - 6})" font-size="10">${escapeHtml(label)}</text>`,
    );
  });
  g.rows.forEach((row, r) => {
    const y = top + r * CELL;
    parts.push(
      `<text class="heat-row" x="${x0 + ROW_LABEL - 6}" y="${y + CELL / 2}" text-anchor="end" dominant-baseline="central" font-size="10">${escapeHtml(row.label)}</text>`,
    );
    g.columns.forEach((_, c) => {
      const x = x0 + ROW_LABEL + c * CELL;
      if (c >= row.p.length) {
        // An input a node cannot read (it comes later): no probability at all, not a zero one.
        parts.push(`<rect class="heat-na" x="${x + 1}" y="${y + 1}" width="${CELL - 2}" height="${CELL - 2}" fill="#f1f3f4"/>`);
        return;
      }
      const p = row.p[c] as number;
      const chosen = c === row.chosen;
      parts.push(
        `<rect class="heat-cell${chosen ? ' heat-chosen' : ''}" data-p="${p.toFixed(4)}" x="${x + 1}" y="${y + 1}" width="${CELL - 2}" height="${CELL - 2}" rx="3" fill="${probabilityColor(p)}"${chosen ? ' stroke="#e8710a" stroke-width="2.5"' : ''}><title>${escapeHtml(`${row.label} → ${g.columns[c]}: ${(100 * p).toFixed(1)}%`)}</title></rect>`,
      );
      const text = p >= 0.995 ? '1' : (100 * p).toFixed(0);
      parts.push(
        `<text x="${x + CELL / 2}" y="${y + CELL / 2}" text-anchor="middle" dominant-baseline="central" font-size="9" fill="${p > 0.55 ? '#ffffff' : '#3c4043'}" pointer-events="none">${text}</text>`,
      );
    });
  });
  return parts.join('');
}

/** The grids of one cell: which inputs each node reads, and which ops it applies. */
function cellGrids(kind: 'normal' | 'reduction', arch: MicroArchitecture, probabilities: readonly Float64Array[], first: number): Grid[] {
  const cell = arch[kind];
  const B = cell.length;
  const inputs: Grid = { title: `${kind} cell: inputs`, columns: [], rows: [] };
  const ops: Grid = { title: `${kind} cell: ops`, columns: [...MICRO_OP_LABELS], rows: [] };
  for (let i = 0; i < B + 1; i++) inputs.columns.push(microIndexLabel(i));
  cell.forEach((node, j) => {
    for (const k of [0, 1] as const) {
      const label = `node ${j + 2} ${k === 0 ? 'a' : 'b'}`;
      const at = first + 4 * j + 2 * k;
      const pIndex = probabilities[at];
      const pOp = probabilities[at + 1];
      if (!pIndex || !pOp) throw new Error(`probability heat map: decision ${at} is missing (${probabilities.length} given)`);
      inputs.rows.push({ label, p: pIndex, chosen: node.inputs[k] });
      ops.rows.push({ label, p: pOp, chosen: node.ops[k] });
    }
  });
  return [inputs, ops];
}

/** One SVG: normal cell grids on the first line, reduction cell grids on the second. */
export function probabilityHeatmapSvg(arch: MicroArchitecture, probabilities: readonly Float64Array[]): string {
  const B = arch.normal.length;
  if (probabilities.length !== 8 * B) {
    throw new Error(`probability heat map: ${probabilities.length} decisions for a ${B}-node micro architecture (expected ${8 * B})`);
  }
  const lines = [cellGrids('normal', arch, probabilities, 0), cellGrids('reduction', arch, probabilities, 4 * B)];
  let y = 0;
  let width = 0;
  const body: string[] = [];
  for (const line of lines) {
    let x = 0;
    let height = 0;
    for (const g of line) {
      const size = gridSize(g);
      body.push(renderGrid(g, x, y));
      x += size.width + GAP;
      height = Math.max(height, size.height);
    }
    width = Math.max(width, x - GAP);
    y += height + 12;
  }
  const height = y - 12;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="system-ui, sans-serif" font-size="11" fill="#202124">${body.join('')}</svg>`
  );
}
