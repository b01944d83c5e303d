/**
 * The browser page of the parity test (bundled by esbuild, served on 127.0.0.1, loaded in headless Chromium). It
 * runs the same case list as Node on `navigator.gpu`, renders a small table (for the screenshot), and leaves its
 * report on `window.__parity` for the test to collect.
 */
import { createGpuContext } from '../../src/device/context.js';
import { PARITY_CASES } from './cases/index.js';
import { type ParityReport, runParitySuite } from './run-parity.js';

export type PageState =
  | { status: 'running'; adapter?: string; done: number; total: number }
  | { status: 'done'; report: ParityReport }
  | { status: 'failed'; error: string };

const page = globalThis as unknown as { __parity: PageState };
page.__parity = { status: 'running', done: 0, total: PARITY_CASES.length };

function row(cells: string[], tag = 'td'): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const text of cells) {
    const cell = document.createElement(tag);
    cell.textContent = text;
    tr.appendChild(cell);
  }
  return tr;
}

async function main(): Promise<void> {
  const ctx = await createGpuContext();
  const adapter = ctx.describe();
  (document.getElementById('adapter') as HTMLElement).textContent = adapter;
  const table = document.getElementById('results') as HTMLTableElement;
  table.appendChild(row(['case', 'family', 'ms', 'result'], 'th'));
  try {
    const report = await runParitySuite(ctx, PARITY_CASES, (r, i) => {
      page.__parity = { status: 'running', adapter, done: i + 1, total: PARITY_CASES.length };
      table.appendChild(row([r.name, r.family, r.ms.toFixed(1), r.error ? `ERROR ${r.error}` : 'ran']));
    });
    page.__parity = { status: 'done', report };
  } finally {
    ctx.destroy();
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
  (document.getElementById('adapter') as HTMLElement).textContent = message;
  page.__parity = { status: 'failed', error: message };
});
