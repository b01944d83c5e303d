/** A benchmark row (our kernel beside the same operation in tfjs-backend-webgpu) and the Markdown table of rows. */

export type Unit = 'GFLOP/s' | 'GB/s' | 'µs' | 'ms';

export interface BenchRow {
  readonly section: string;
  /** The operation and its shape, e.g. 'matmul 1024³ (register)'. */
  readonly op: string;
  readonly unit: Unit;
  /** Undefined: not measured (no such kernel of ours yet, tfjs unavailable, or it failed: see note). */
  readonly ours?: number;
  readonly tfjs?: number;
  readonly note?: string;
}

/** Throughputs are better high, times better low; the ratio is always ours/tfjs, so read it with the unit. */
export const higherIsBetter = (unit: Unit): boolean => unit === 'GFLOP/s' || unit === 'GB/s';

function formatValue(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  if (v >= 1000) return v.toFixed(0);
  if (v >= 100) return v.toFixed(1);
  if (v >= 10) return v.toFixed(2);
  return v.toPrecision(3);
}

export function ratio(row: BenchRow): string {
  if (row.ours === undefined || row.tfjs === undefined || !(row.tfjs > 0)) return '—';
  return (row.ours / row.tfjs).toFixed(2);
}

export function markdownTable(rows: readonly BenchRow[]): string {
  const lines = ['| operation | unit | ours | tfjs-webgpu | ours/tfjs | note |', '| --- | --- | ---: | ---: | ---: | --- |'];
  for (const r of rows) {
    lines.push(`| ${r.op} | ${r.unit} | ${formatValue(r.ours)} | ${formatValue(r.tfjs)} | ${ratio(r)} | ${r.note ?? ''} |`);
  }
  return lines.join('\n');
}
