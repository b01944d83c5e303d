/**
 * GPU time per kernel, from timestamp queries: with profiling on, every dispatch runs in its own compute pass
 * whose begin/end timestamps are written to a query set; at submit the queries are resolved and read back
 * asynchronously, and the durations accumulate per kernel name. It slows the run (a pass per dispatch and a
 * readback per submit), so it is for finding where time goes — `ENAS_PROFILE=1` turns it on, `report()` prints
 * the table.
 */
import type { GpuContext } from './context.js';

interface KernelTime {
  count: number;
  ns: number;
}

// Two queries per dispatch; WebGPU caps a query set at 4096 queries.
const MAX_QUERIES = 2048;

export class Profiler {
  private readonly totals = new Map<string, KernelTime>();
  private pending: Promise<void>[] = [];
  private querySet: GPUQuerySet | undefined;
  private labels: string[] = [];

  constructor(private readonly ctx: GpuContext) {}

  static wanted(): boolean {
    const g = globalThis as { ENAS_PROFILE?: unknown; process?: { env?: Record<string, string | undefined> } };
    const v = g.ENAS_PROFILE ?? g.process?.env?.ENAS_PROFILE;
    return v !== undefined && v !== '0' && v !== '';
  }

  get available(): boolean {
    return this.ctx.device.features.has('timestamp-query');
  }

  /** The timestampWrites for the next dispatch's pass, or undefined when the query set is full. */
  nextPass(label: string): GPUComputePassTimestampWrites | undefined {
    if (!this.available) return undefined;
    this.querySet ??= this.ctx.device.createQuerySet({ type: 'timestamp', count: MAX_QUERIES * 2 });
    if (this.labels.length >= MAX_QUERIES) return undefined;
    const i = this.labels.length;
    this.labels.push(label);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Resolves this submit's queries into a readback (called by the recorder before finishing its encoder). */
  resolve(encoder: GPUCommandEncoder): (() => void) | undefined {
    if (!this.querySet || this.labels.length === 0) return undefined;
    const labels = this.labels;
    this.labels = [];
    const bytes = labels.length * 16;
    const resolveBuffer = this.ctx.device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = this.ctx.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.resolveQuerySet(this.querySet, 0, labels.length * 2, resolveBuffer, 0);
    encoder.copyBufferToBuffer(resolveBuffer, 0, read, 0, bytes);
    // Mapping starts after the submit; the caller invokes this then.
    return () => {
      this.pending.push(
        read.mapAsync(GPUMapMode.READ).then(() => {
          const t = new BigUint64Array(read.getMappedRange());
          labels.forEach((label, i) => {
            const ns = Number((t[2 * i + 1] as bigint) - (t[2 * i] as bigint));
            const e = this.totals.get(label) ?? { count: 0, ns: 0 };
            e.count += 1;
            e.ns += Math.max(0, ns);
            this.totals.set(label, e);
          });
          read.unmap();
          read.destroy();
          resolveBuffer.destroy();
        }),
      );
    };
  }

  /** The accumulated table, slowest kernels first. */
  async report(): Promise<string> {
    await Promise.all(this.pending);
    this.pending = [];
    const rows = [...this.totals.entries()].sort((a, b) => b[1].ns - a[1].ns);
    const total = rows.reduce((s, [, t]) => s + t.ns, 0);
    const lines = ['kernel'.padEnd(40) + 'calls'.padStart(8) + 'total ms'.padStart(12) + 'mean us'.padStart(10) + 'share'.padStart(8)];
    for (const [name, t] of rows) {
      lines.push(
        name.padEnd(40) +
          String(t.count).padStart(8) +
          (t.ns / 1e6).toFixed(1).padStart(12) +
          (t.ns / t.count / 1e3).toFixed(1).padStart(10) +
          `${((100 * t.ns) / Math.max(1, total)).toFixed(1)}%`.padStart(8),
      );
    }
    lines.push(`${'total GPU time'.padEnd(40)}${''.padStart(8)}${(total / 1e6).toFixed(1).padStart(12)}`);
    return lines.join('\n');
  }
}
