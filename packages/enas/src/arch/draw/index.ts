import type { Architecture } from '../architecture.js';
import { drawMacroArchitectureSvg } from './macro-network.js';
import { drawMicroArchitectureSvg } from './micro-cell.js';
import { drawRnnArchitectureSvg } from './rnn-cell.js';

export * from './diagram.js';
export * from './macro-network.js';
export * from './micro-cell.js';
export * from './rnn-cell.js';
export { escapeXml, renderDiagramsSvg } from './svg.js';

/** A standalone SVG drawing of any architecture, with each space's default drawing. */
export function drawArchitectureSvg(arch: Architecture): string {
  switch (arch.space) {
    case 'micro':
      return drawMicroArchitectureSvg(arch);
    case 'macro':
      return drawMacroArchitectureSvg(arch);
    case 'rnn':
      return drawRnnArchitectureSvg(arch);
  }
}
