/**
 * Architecture drawings in the page. The SVG comes from the engine's own drawing code (`@enas-webgpu/enas`
 * arch/draw: dagre layout, the same drawing the CLI writes to files); this view only places it and shows the arc
 * string under it, so what is drawn can be copied into a `train --arc` command.
 */
import { type Architecture, drawArchitectureSvg, drawMicroCellSvg, printArchitecture } from '@enas-webgpu/enas';
import { el } from './dom.js';

/**
 * Drawings are laid out with 12 px text and shown at up to 1.3× that. The cells of one architecture share one
 * factor, so they are drawn at one scale: side by side when they fit the card at 0.9× or more, otherwise one under
 * the other (the flex row of style.css .cells wraps by itself) at whatever factor fits the widest.
 */
const MAX_ZOOM = 1.3;
const MIN_SIDE_BY_SIDE_ZOOM = 0.9;
/** Padding and border of a figure, and the gap between figures (style.css .cell-figure, .cells). */
const FIGURE_INSET = 16;
const FIGURE_GAP = 10;

function fitDrawings(target: HTMLElement, figures: readonly HTMLElement[]): void {
  const svgs = figures.map((f) => f.querySelector('svg')).filter((s): s is SVGSVGElement => s !== null);
  const widths = svgs.map((svg) => Number(svg.getAttribute('width')) || 1);
  const available = target.clientWidth;
  let zoom = MAX_ZOOM;
  // A hidden card has no width yet: keep the largest factor; CSS (max-width: 100%) shrinks what does not fit.
  if (available > 0) {
    const total = widths.reduce((a, b) => a + b, 0);
    const sideBySide = (available - FIGURE_GAP * (widths.length - 1) - FIGURE_INSET * widths.length) / total;
    const stacked = (available - FIGURE_INSET) / Math.max(...widths);
    zoom = Math.min(MAX_ZOOM, sideBySide >= MIN_SIDE_BY_SIDE_ZOOM ? sideBySide : stacked);
  }
  svgs.forEach((svg, i) => {
    svg.style.width = `${Math.floor((widths[i] as number) * zoom)}px`;
  });
}

/** A micro architecture as two cards (normal, reduction); any other space as one drawing. */
export function renderArchitecture(target: HTMLElement, arch: Architecture, caption?: string): void {
  const figures: HTMLElement[] = [];
  if (arch.space === 'micro') {
    for (const kind of ['normal', 'reduction'] as const) {
      const figure = el('figure', { class: 'cell-figure', 'data-cell': kind });
      figure.innerHTML = drawMicroCellSvg(arch[kind], `${kind} cell`);
      figures.push(figure);
    }
  } else {
    const figure = el('figure', { class: 'cell-figure', 'data-cell': arch.space });
    figure.innerHTML = drawArchitectureSvg(arch);
    figures.push(figure);
  }
  const arc = el('code', { class: 'arc', title: 'arc string (official encoding)' }, printArchitecture(arch));
  const parts: (HTMLElement | string)[] = [el('div', { class: 'cells' }, ...figures), arc];
  if (caption) parts.unshift(el('div', { class: 'caption' }, caption));
  target.replaceChildren(...parts);
  fitDrawings(target, figures);
}
