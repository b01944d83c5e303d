/**
 * RowDecisionLog: a decision log whose slots are ROWS of decisions, for a controller that samples several
 * independent decisions in one dispatch (the macro controller's skip bits: one row of `layer` binary decisions per
 * layer, `general_controller.py` L216-229). Row r holds widths[r] contiguous words and starts at an aligned word
 * offset (a binding offset must be a multiple of minStorageBufferOffsetAlignment, 16 to 256 bytes), so a sampler
 * writes a whole row through one binding and the row is the label tensor of its replay.
 *
 * `pack` gathers the rows' words into one dense array in row order with a table of word offsets made once
 * (packIndexed), and sums the entropies and log-probabilities the same way: one dispatch each, no buffer copy.
 */
import { type Engine, Tensor } from '@enas-webgpu/autograd';
import { alignUp, type BufferSlice, packIndexed, sumAll } from '@enas-webgpu/wgsl-kernels';

export class RowDecisionLog {
  /** Decisions in all rows. */
  readonly count: number;
  /** First word of each row. */
  private readonly offsets: number[];
  private readonly indices: BufferSlice;
  private readonly entropies: BufferSlice;
  private readonly logProbs: BufferSlice;
  private readonly rowViews: Tensor[];
  /** Word offset of each decision, in row order: the gather table of `pack`. */
  private readonly table: Tensor;
  private readonly packedScratch: BufferSlice;
  /** Dense copies, filled by `pack`. */
  readonly packedIndices: Tensor;
  readonly entropySum: Tensor;
  readonly logProbSum: Tensor;

  /**
   * `alignment`: bytes between row starts are a multiple of it; default the device's
   * minStorageBufferOffsetAlignment. A larger multiple (256, WebGPU's default limit) lays the log out as the
   * strictest devices need it.
   */
  constructor(
    private readonly engine: Engine,
    readonly widths: readonly number[],
    name: string,
    alignment = engine.ctx.limits.minStorageBufferOffsetAlignment,
  ) {
    if (widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1)) {
      throw new Error(`${name}: every row of a decision log needs a positive integer width, got [${widths.join(', ')}]`);
    }
    const deviceAlignment = engine.ctx.limits.minStorageBufferOffsetAlignment;
    if (!Number.isInteger(alignment / deviceAlignment) || alignment < deviceAlignment) {
      throw new Error(`${name}: row alignment ${alignment} must be a multiple of minStorageBufferOffsetAlignment ${deviceAlignment}`);
    }
    const alignWords = alignment / 4;
    this.offsets = [];
    const table: number[] = [];
    let words = 0;
    for (const w of widths) {
      this.offsets.push(words);
      for (let k = 0; k < w; k++) table.push(words + k);
      words = alignUp(words + w, alignWords);
    }
    this.count = table.length;
    this.indices = engine.store.alloc(words * 4, `${name}.indices`);
    this.entropies = engine.store.alloc(words * 4, `${name}.entropies`);
    this.logProbs = engine.store.alloc(words * 4, `${name}.log-probs`);
    // Persistent views over the rows: the same storage every pass, so their bindings are reused.
    this.rowViews = widths.map(
      (w, r) =>
        new Tensor({ engine, shape: [w], data: this.slot(this.indices, r), name: `${name}.row[${r}]`, requiresGrad: false, step: -1 }),
    );
    this.table = engine.persistent(Uint32Array.from(table), [this.count], `${name}.pack-table`);
    this.packedScratch = engine.store.alloc(this.count * 4, `${name}.packed`);
    this.packedIndices = engine.persistent(new Uint32Array(this.count), [this.count], `${name}.arc`);
    this.entropySum = engine.persistent(new Float32Array(1), [1], `${name}.entropy`);
    this.logProbSum = engine.persistent(new Float32Array(1), [1], `${name}.log-prob`);
  }

  private slot(base: BufferSlice, r: number): BufferSlice {
    const w = this.widths[r];
    if (w === undefined || !Number.isInteger(r)) throw new Error(`decision row ${r} is outside this log of ${this.widths.length} rows`);
    return { buffer: base.buffer, offset: base.offset + (this.offsets[r] as number) * 4, size: w * 4 };
  }

  /** Row r's decisions as a u32 tensor [width] (the labels of a replay, a mask, a gather index). */
  row(r: number): Tensor {
    this.slot(this.indices, r);
    return this.rowViews[r] as Tensor;
  }

  /** Where a sampler writes row r's indices. */
  indexSlot(r: number): BufferSlice {
    return this.slot(this.indices, r);
  }

  /** Where a sampler writes row r's entropies. */
  entropySlot(r: number): BufferSlice {
    return this.slot(this.entropies, r);
  }

  /** Where a sampler writes log p of row r's decisions (kept for logs and checks; a replay recomputes it). */
  logProbSlot(r: number): BufferSlice {
    return this.slot(this.logProbs, r);
  }

  /** Records the dense copies: packedIndices (every row in order), entropySum and logProbSum. */
  pack(): void {
    const rec = this.engine.rec;
    const index = this.table.data;
    packIndexed(rec, { x: this.indices, index, y: this.packedIndices.data }, this.count);
    packIndexed(rec, { x: this.entropies, index, y: this.packedScratch }, this.count);
    sumAll(rec, { x: this.packedScratch, out: this.entropySum.data }, this.count);
    packIndexed(rec, { x: this.logProbs, index, y: this.packedScratch }, this.count);
    sumAll(rec, { x: this.packedScratch, out: this.logProbSum.data }, this.count);
  }
}
