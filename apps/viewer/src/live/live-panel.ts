/**
 * The live mode: controls (data, size, start/pause), the status line, and the views that follow a LiveSearch.
 * The search is built on the first Start and rebuilt when the data or size changes while paused.
 */
import type { ImageDataset } from '@enas-webgpu/enas';
import type { GpuContext } from '@enas-webgpu/wgsl-kernels';
import { renderArchitecture } from '../views/architecture-view.js';
import { CurveChart } from '../views/curve-chart.js';
import { byId, coalesceFrames, escapeHtml, formatValue } from '../views/dom.js';
import { probabilityHeatmapSvg } from '../views/probability-heatmap.js';
import { Smoother } from '../views/smoother.js';
import { describeDataset, loadCifar10Files, loadMnist } from './datasets.js';
import { LIVE_PRESETS, type LiveConfig, type LiveDataset } from './live-config.js';
import { LiveSearch, type LiveSnapshot, type LiveState } from './live-search.js';

interface Progress {
  state: LiveState | 'idle' | 'loading';
  childSteps: number;
  controllerSteps: number;
  epoch: number;
  loss: number | null;
  reward: number | null;
  imagesPerSecond: number;
  note: string;
}

export class LivePanel {
  private search: LiveSearch | undefined;
  private dataset: { key: string; data: ImageDataset } | undefined;
  private cifarFiles: File[] = [];
  private readonly toggle = byId<HTMLButtonElement>('live-toggle');
  private readonly dataSelect = byId<HTMLSelectElement>('live-data');
  private readonly presetSelect = byId<HTMLSelectElement>('live-preset');
  private readonly cifarInput = byId<HTMLInputElement>('live-cifar-files');
  private readonly statusLine = byId('live-status');
  private readonly lossChart: CurveChart;
  private readonly rewardChart: CurveChart;
  private readonly entropyChart: CurveChart;
  private readonly lossTrend = new Smoother(0.9);
  private progress: Progress = {
    state: 'idle',
    childSteps: 0,
    controllerSteps: 0,
    epoch: 0,
    loss: null,
    reward: null,
    imagesPerSecond: 0,
    note: '',
  };
  private readonly drawStatus = coalesceFrames(() => this.renderStatus());
  private readonly drawSnapshot = coalesceFrames((s: LiveSnapshot) => this.renderSnapshot(s));

  constructor(
    private readonly ctx: GpuContext,
    private readonly adapter: string,
    private config: LiveConfig,
  ) {
    for (const name of Object.keys(LIVE_PRESETS)) this.presetSelect.add(new Option(presetLabel(name), name));
    this.presetSelect.value = config.preset;
    this.dataSelect.value = config.dataset;
    this.lossChart = new CurveChart(byId('live-chart-loss'), 'Child loss (shared weights)', 'child step', [
      { label: 'minibatch loss', color: '#a8c7fa', width: 1 },
      { label: 'trend', color: '#1a73e8', width: 2.2 },
    ]);
    this.rewardChart = new CurveChart(byId('live-chart-reward'), 'Validation reward', 'controller update', [
      { label: 'reward', color: '#188038', width: 2 },
      { label: 'baseline', color: '#e37400', width: 2, dash: [6, 4] },
    ]);
    this.entropyChart = new CurveChart(byId('live-chart-entropy'), 'Controller entropy (Σ over decisions)', 'controller update', [
      { label: 'entropy', color: '#9334e6', width: 2 },
    ]);
    this.toggle.addEventListener('click', () => void this.onToggle());
    this.dataSelect.addEventListener('change', () => this.onDataChange());
    this.presetSelect.addEventListener(
      'change',
      () => void this.reset({ ...LIVE_PRESETS[this.presetSelect.value], dataset: this.config.dataset } as LiveConfig),
    );
    this.cifarInput.addEventListener('change', () => this.onCifarFiles());
    this.toggle.disabled = false;
    this.renderStatus();
    if (config.autostart) void this.onToggle();
  }

  private async onToggle(): Promise<void> {
    if (this.search?.isRunning) {
      this.toggle.disabled = true;
      await this.search.pause();
      this.toggle.disabled = false;
      return;
    }
    if (!this.search) {
      this.toggle.disabled = true;
      try {
        this.search = await this.build();
      } catch (error) {
        this.onState('failed', error as Error);
        return;
      } finally {
        this.toggle.disabled = false;
      }
    }
    this.search.start();
  }

  private async build(): Promise<LiveSearch> {
    const data = await this.loadData(this.config.dataset);
    this.update({ state: 'loading', note: `building the shared network for ${describeDataset(data)}…` });
    return LiveSearch.create(this.ctx, data, this.config, {
      child: (r, imagesPerSecond) => {
        this.lossChart.push(r.step, r.loss, this.lossTrend.next(r.loss));
        this.update({ childSteps: r.step + 1, epoch: r.epoch, loss: r.loss, imagesPerSecond });
      },
      controller: (r) => {
        this.rewardChart.push(r.step, r.reward, r.baseline);
        this.entropyChart.push(r.step, r.entropy);
        this.update({ controllerSteps: r.step + 1, reward: r.reward });
      },
      snapshot: (s) => this.drawSnapshot(s),
      state: (state, error) => this.onState(state, error),
    });
  }

  private async loadData(kind: LiveDataset): Promise<ImageDataset> {
    const key = kind === 'cifar10' ? `cifar10:${this.cifarFiles.map((f) => f.name).join(',')}` : 'mnist';
    if (this.dataset?.key === key) return this.dataset.data;
    this.update({ state: 'loading', note: kind === 'mnist' ? 'loading the MNIST digits…' : 'reading the CIFAR-10 files…' });
    if (kind === 'cifar10' && this.cifarFiles.length === 0) throw new Error('CIFAR-10: pick the batch files first (Data → CIFAR-10)');
    const data = kind === 'mnist' ? await loadMnist() : await loadCifar10Files(this.cifarFiles);
    this.dataset = { key, data };
    return data;
  }

  private onDataChange(): void {
    if (this.dataSelect.value === 'cifar10') {
      this.cifarInput.click();
      return;
    }
    void this.reset({ ...this.config, dataset: 'mnist' });
  }

  private onCifarFiles(): void {
    const files = [...(this.cifarInput.files ?? [])];
    if (files.length === 0) {
      this.dataSelect.value = this.config.dataset;
      return;
    }
    this.cifarFiles = files;
    void this.reset({ ...this.config, dataset: 'cifar10' });
  }

  /** A new configuration: the current search (paused first) is dropped with its curves. */
  private async reset(config: LiveConfig): Promise<void> {
    this.toggle.disabled = true;
    await this.search?.destroy();
    this.search = undefined;
    this.config = { ...config, autostart: false, maxSteps: 0 };
    this.dataSelect.value = config.dataset;
    this.presetSelect.value = config.preset;
    for (const chart of [this.lossChart, this.rewardChart, this.entropyChart]) chart.clear();
    this.lossTrend.reset();
    this.progress = { ...this.progress, state: 'idle', childSteps: 0, controllerSteps: 0, epoch: 0, loss: null, reward: null, note: '' };
    this.toggle.disabled = false;
    this.renderStatus();
  }

  private onState(state: LiveState, error?: Error): void {
    this.update({ state, note: error ? `stopped: ${error.message}` : '' });
    if (error) console.error(error);
  }

  private update(p: Partial<Progress>): void {
    this.progress = { ...this.progress, ...p };
    this.drawStatus();
  }

  private renderStatus(): void {
    const p = this.progress;
    const el = this.statusLine;
    el.dataset.state = p.state;
    el.dataset.childSteps = String(p.childSteps);
    el.dataset.controllerSteps = String(p.controllerSteps);
    el.dataset.loss = p.loss === null ? '' : String(p.loss);
    this.toggle.textContent = p.state === 'running' ? 'Pause' : p.childSteps > 0 ? 'Resume' : 'Start';
    const words: Record<Progress['state'], string> = {
      idle: 'ready',
      loading: 'preparing',
      running: 'running',
      paused: 'paused',
      failed: 'failed',
    };
    const parts = [
      `<span class="dot"></span><b>${words[p.state]}</b>`,
      `<b>${p.childSteps}</b> ${p.childSteps === 1 ? 'child step' : 'child steps'}`,
      `epoch <b>${p.epoch}</b>`,
      `<b>${p.controllerSteps}</b> ${p.controllerSteps === 1 ? 'controller update' : 'controller updates'}`,
      `<b>${p.imagesPerSecond > 0 ? formatValue(p.imagesPerSecond) : '–'}</b> images/s`,
      `loss <b>${formatValue(p.loss)}</b>`,
      `reward <b>${formatValue(p.reward)}</b>`,
      `on <b>${escapeHtml(this.adapter)}</b>`,
    ];
    el.innerHTML = parts.join(' · ') + (p.note ? ` — ${escapeHtml(p.note)}` : '');
  }

  private renderSnapshot(s: LiveSnapshot): void {
    renderArchitecture(byId('live-arch'), s.arch);
    byId('live-arch-step').textContent = `child step ${s.record.step} · epoch ${s.record.epoch} · loss ${formatValue(s.record.loss)}`;
    const heatmap = byId('live-heatmap');
    heatmap.innerHTML = probabilityHeatmapSvg(s.arch, s.probabilities);
    // Up to 1.5× its drawn size, to fill the card; CSS (max-width: 100%) shrinks it in a narrow one.
    const svg = heatmap.querySelector('svg');
    if (svg) svg.style.width = `${Math.round(1.5 * Number(svg.getAttribute('width')))}px`;
  }
}

function presetLabel(name: string): string {
  const p = LIVE_PRESETS[name] as LiveConfig;
  return `${name}: B=${p.nodes}, C=${p.filters}, batch ${p.batchSize}`;
}
