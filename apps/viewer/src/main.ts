/**
 * The viewer's entry point: two modes on one page. Live runs a micro search with the engine's packages, unchanged,
 * on the browser's WebGPU; Replay browses the records of a CLI run and needs no GPU. `?mode=replay` opens Replay;
 * live-search options come from the URL too (live/live-config.ts).
 */
import './style.css';
import { type LiveConfig, liveConfigFromUrl } from './live/live-config.js';
import { LivePanel } from './live/live-panel.js';
import { ReplayPanel } from './replay/replay-panel.js';
import { byId, el } from './views/dom.js';
import { probeWebGpu, WEBGPU_HOW_TO } from './webgpu-probe.js';

type Mode = 'live' | 'replay';

function showMode(mode: Mode): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>('.tab')) {
    tab.setAttribute('aria-selected', String(tab.dataset.mode === mode));
  }
  for (const panel of document.querySelectorAll<HTMLElement>('.panel')) panel.hidden = panel.dataset.mode !== mode;
  const url = new URL(location.href);
  url.searchParams.set('mode', mode);
  history.replaceState(null, '', url);
  // Charts measure their container; a panel that was hidden had none.
  window.dispatchEvent(new Event('resize'));
}

function showMessage(kind: 'warning' | 'error', title: string, detail: string): void {
  const box = byId('message');
  box.dataset.kind = kind;
  box.replaceChildren(el('h3', {}, title), el('p', {}, detail));
  box.hidden = false;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  for (const tab of document.querySelectorAll<HTMLButtonElement>('.tab')) {
    tab.addEventListener('click', () => showMode(tab.dataset.mode as Mode));
  }
  showMode(params.get('mode') === 'replay' ? 'replay' : 'live');
  new ReplayPanel(byId('replay'));

  let config: LiveConfig;
  try {
    config = liveConfigFromUrl(params);
  } catch (error) {
    showMessage('error', 'The live search options in the URL are not valid.', (error as Error).message);
    byId('live-status').textContent = 'Fix the URL parameters and reload.';
    return;
  }
  const gpu = await probeWebGpu();
  if (!gpu.ok) {
    showNoWebGpu(gpu.cause);
    return;
  }
  document.body.dataset.webgpu = 'ready';
  new LivePanel(gpu.ctx, gpu.label, config);
}

/** The live panel without WebGPU: what is missing, how to get it, and the way to what still works (Replay). */
function showNoWebGpu(cause: string): void {
  document.body.dataset.webgpu = 'missing';
  const status = byId('live-status');
  status.dataset.state = 'no-webgpu';
  status.textContent = 'Live search needs WebGPU.';
  const replay = el('button', { class: 'primary', type: 'button' }, 'Replay a recorded run');
  replay.addEventListener('click', () => showMode('replay'));
  byId('live-message').replaceChildren(
    el('h3', {}, 'No WebGPU in this browser, so the live search cannot run here.'),
    el('p', { class: 'cause' }, `The browser says: ${cause}`),
    el('p', {}, 'WebGPU is available in:'),
    el('ul', {}, ...WEBGPU_HOW_TO.map((line) => el('li', {}, line))),
    el('p', { class: 'actions' }, replay, ' works without WebGPU: it needs only the config.json and log.jsonl of a CLI run.'),
  );
  byId('live-message').hidden = false;
}

main().catch((error: unknown) => {
  showMessage('error', 'The viewer failed to start.', (error as Error).message);
  console.error(error);
});
