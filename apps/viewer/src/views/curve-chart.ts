/**
 * A line chart of training curves on uPlot (canvas; fast enough to redraw thousands of points every frame). Points
 * are appended as records arrive and the chart redraws at most once per animation frame; it follows its
 * container's width.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { coalesceFrames } from './dom.js';

export interface CurveSeries {
  label: string;
  color: string;
  width?: number;
  dash?: number[];
  /** Draw points only (for sparse series such as per-epoch summaries). */
  points?: boolean;
}

const HEIGHT = 190;
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000];

/**
 * The y range: the data's, padded, but never narrower than 0.02% of its magnitude, so a constant series still gets
 * a few ticks (the controller entropy moves by 1e-4 in its first updates).
 */
function readableRange(_self: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null) return [0, 1];
  const span = Math.max(max - min, 2e-4 * Math.max(Math.abs(min), Math.abs(max)), 1e-6);
  const pad = 0.08 * span;
  const mid = (min + max) / 2;
  return [Math.min(min, mid - span / 2) - pad, Math.max(max, mid + span / 2) + pad];
}

/** Width of the y axis from its tick labels (uPlot's fixed default cuts long ones such as 19.515). */
function labelWidth(_self: uPlot, values: string[] | null): number {
  const longest = Math.max(3, ...(values ?? []).map((v) => String(v ?? '').length));
  return 24 + 7.5 * longest;
}

/**
 * Tick labels with as many decimals as the tick spacing needs: uPlot's default shows at most three, so ticks
 * 0.0005 apart around 19.515 would all read "19.515".
 */
function tickLabels(_self: uPlot, splits: number[], _axis: number, _space: number, incr: number): string[] {
  const decimals = Math.min(8, Math.max(0, -Math.floor(Math.log10(incr) + 1e-9)));
  return splits.map((v) =>
    Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-4 && decimals > 6) ? v.toExponential(1) : v.toFixed(decimals),
  );
}

export class CurveChart {
  private readonly plot: uPlot;
  private readonly xs: number[] = [];
  private readonly ys: (number | null)[][];
  private readonly redraw: () => void;
  private readonly resize: ResizeObserver;

  constructor(
    readonly target: HTMLElement,
    title: string,
    xLabel: string,
    series: readonly CurveSeries[],
  ) {
    this.ys = series.map(() => []);
    const options: uPlot.Options = {
      title,
      width: Math.max(240, target.clientWidth),
      height: HEIGHT,
      scales: { x: { time: false }, y: { range: readableRange } },
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      axes: [
        // Steps and updates are counts: whole-number ticks only.
        {
          label: xLabel,
          labelSize: 18,
          size: 36,
          incrs: COUNT_STEPS,
          stroke: '#5f6368',
          grid: { stroke: '#eceff1' },
          ticks: { stroke: '#dadce0' },
        },
        { size: labelWidth, values: tickLabels, stroke: '#5f6368', grid: { stroke: '#eceff1' }, ticks: { stroke: '#dadce0' } },
      ],
      series: [
        { label: xLabel },
        ...series.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: s.color,
            width: s.width ?? 1.5,
            dash: s.dash,
            spanGaps: true,
            // Default (undefined): uPlot shows points while they are sparse, so a first single point is visible.
            points: s.points ? { show: true, size: 6, fill: s.color } : undefined,
            paths: s.points ? () => null : undefined,
          }),
        ),
      ],
    };
    this.plot = new uPlot(options, this.data(), target);
    this.redraw = coalesceFrames(() => this.setData());
    this.resize = new ResizeObserver(() => {
      const width = Math.max(240, target.clientWidth);
      if (width !== this.plot.width) this.plot.setSize({ width, height: HEIGHT });
    });
    this.resize.observe(target);
  }

  private data(): uPlot.AlignedData {
    return [this.xs, ...this.ys] as uPlot.AlignedData;
  }

  get length(): number {
    return this.xs.length;
  }

  /** One x and a value per series (null: no value at this x). */
  push(x: number, ...values: (number | null)[]): void {
    this.xs.push(x);
    this.ys.forEach((y, i) => {
      const v = values[i];
      y.push(v === undefined || v === null || !Number.isFinite(v) ? null : v);
    });
    this.redraw();
  }

  /** Replaces every point (replay). */
  setAll(xs: readonly number[], ys: readonly (readonly (number | null)[])[]): void {
    this.xs.length = 0;
    this.xs.push(...xs);
    this.ys.forEach((y, i) => {
      y.length = 0;
      y.push(...(ys[i] ?? []));
    });
    this.setData();
  }

  /** New data, and the legend shows the latest point's values (until the pointer picks another). */
  private setData(): void {
    this.plot.setData(this.data());
    if (this.xs.length > 0) this.plot.setLegend({ idx: this.xs.length - 1 });
  }

  clear(): void {
    this.setAll([], []);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot.destroy();
  }
}
