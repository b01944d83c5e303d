/**
 * The replay mode: open the `config.json` and `log.jsonl` of a CLI run (file picker or drop), then browse its
 * curves, the architecture trained at any child step (slider), and the derived best architecture. Needs no GPU.
 */
import { renderArchitecture } from '../views/architecture-view.js';
import { CurveChart } from '../views/curve-chart.js';
import { byId, el, formatValue } from '../views/dom.js';
import { describeRun, describeRunOrigin, parseReplayFiles, type ReplayRun, runArchitecture } from './replay-run.js';

export class ReplayPanel {
  private run: ReplayRun | undefined;
  private readonly summary = byId('replay-summary');
  private readonly slider = byId<HTMLInputElement>('replay-step');
  private readonly derivePick = byId<HTMLSelectElement>('replay-derive');
  private readonly lossChart: CurveChart;
  private readonly rewardChart: CurveChart;
  private readonly entropyChart: CurveChart;

  constructor(root: HTMLElement) {
    this.lossChart = new CurveChart(byId('replay-chart-loss'), 'Child loss (shared weights)', 'child step', [
      { label: 'minibatch loss', color: '#a8c7fa', width: 1 },
      { label: 'trend', color: '#1a73e8', width: 2.2 },
    ]);
    this.rewardChart = new CurveChart(byId('replay-chart-reward'), 'Validation reward', 'controller update', [
      { label: 'reward', color: '#188038', width: 2 },
      { label: 'baseline', color: '#e37400', width: 2, dash: [6, 4] },
    ]);
    this.entropyChart = new CurveChart(byId('replay-chart-entropy'), 'Controller entropy (Σ over decisions)', 'controller update', [
      { label: 'entropy', color: '#9334e6', width: 2 },
    ]);
    const input = byId<HTMLInputElement>('replay-files');
    input.addEventListener('change', () => void this.open([...(input.files ?? [])]));
    this.slider.addEventListener('input', () => this.showStep(Number(this.slider.value)));
    this.derivePick.addEventListener('change', () => this.showDerive(Number(this.derivePick.value)));
    root.addEventListener('dragover', (e) => {
      e.preventDefault();
      root.classList.add('drop-target');
    });
    root.addEventListener('dragleave', () => root.classList.remove('drop-target'));
    root.addEventListener('drop', (e) => {
      e.preventDefault();
      root.classList.remove('drop-target');
      void this.open([...(e.dataTransfer?.files ?? [])]);
    });
  }

  /** Opens the two files of a run directory, recognised by name (`*.jsonl` is the log, `*.json` the config). */
  async open(files: readonly File[]): Promise<void> {
    const log = files.find((f) => f.name.endsWith('.jsonl'));
    const config = files.find((f) => f.name.endsWith('.json'));
    if (!log || !config) {
      const names = files.map((f) => f.name).join(', ') || 'nothing';
      this.fail(`Choose both files of a run directory: config.json and log.jsonl (got ${names}).`);
      return;
    }
    try {
      const run = parseReplayFiles(await config.text(), await log.text(), { config: config.name, log: log.name });
      this.show(run);
    } catch (error) {
      this.fail((error as Error).message);
    }
  }

  private fail(message: string): void {
    this.summary.dataset.state = 'failed';
    this.summary.textContent = message;
  }

  private show(run: ReplayRun): void {
    this.run = run;
    this.summary.dataset.state = 'loaded';
    this.summary.dataset.childSteps = String(run.child.length);
    this.summary.dataset.controllerSteps = String(run.controller.length);
    this.summary.replaceChildren(el('b', {}, describeRun(run)), el('span', { class: 'run-meta' }, describeRunOrigin(run)));

    this.lossChart.setAll(
      run.child.map((r) => r.step),
      [run.child.map((r) => r.loss), run.childLossTrend],
    );
    this.rewardChart.setAll(
      run.controller.map((r) => r.step),
      [run.controller.map((r) => r.reward), run.controller.map((r) => r.baseline)],
    );
    this.entropyChart.setAll(
      run.controller.map((r) => r.step),
      [run.controller.map((r) => r.entropy)],
    );

    this.slider.max = String(Math.max(0, run.child.length - 1));
    this.slider.disabled = run.child.length === 0;
    this.slider.value = this.slider.max;
    this.showStep(run.child.length - 1);

    // Every derive record can be shown; the last one (the run's answer so far) first.
    this.derivePick.replaceChildren(
      ...run.derives.map(
        (d, i) => new Option(`epoch ${d.epoch}: ${percent(d.best.accuracy)}${i === run.derives.length - 1 ? ' (latest)' : ''}`, String(i)),
      ),
    );
    this.derivePick.disabled = run.derives.length < 2;
    this.derivePick.value = String(run.derives.length - 1);
    this.showDerive(run.derives.length - 1);
  }

  private showDerive(index: number): void {
    const run = this.run;
    const derive = run?.derives[index];
    const target = byId('replay-best');
    if (!run || !derive) {
      byId('replay-best-label').textContent = '';
      target.innerHTML = '<p class="placeholder">This run has no derive record yet.</p>';
      return;
    }
    byId('replay-best-label').textContent = `epoch ${derive.epoch} · ${percent(derive.best.accuracy)} on a validation batch`;
    renderArchitecture(target, runArchitecture(run, derive.best.arc));
  }

  private showStep(index: number): void {
    const run = this.run;
    const record = run?.child[index];
    const label = byId('replay-step-label');
    if (!run || !record) {
      label.textContent = '';
      return;
    }
    label.textContent = `child step ${record.step} of ${run.child.at(-1)?.step ?? 0} · epoch ${record.epoch} · loss ${formatValue(record.loss)} · batch accuracy ${percent(record.accuracy)}`;
    renderArchitecture(byId('replay-arch'), runArchitecture(run, record.arc));
  }
}

function percent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)}%`;
}
