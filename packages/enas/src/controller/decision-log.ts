/**
 * DecisionLog: where a controller pass leaves its decisions on the GPU. Each decision gets its own aligned slot
 * (a binding offset must be a multiple of minStorageBufferOffsetAlignment, 16 to 256 bytes), so a decision can be
 * bound alone: as the label of its cross-entropy, or as the index of the gather that feeds the next LSTM step.
 * `pack` copies the slots into dense arrays: the architecture to read back, and the entropies to sum.
 *
 * For inspection (the viewer's heat map of the controller's choices) the log can also keep each decision's final
 * logits; that is off unless asked for, so a training pass records nothing for it.
 */
import { type Engine, Tensor } from '@enas-webgpu/autograd';
import { type BufferSlice, packStrided, readF32, sumAll } from '@enas-webgpu/wgsl-kernels';

export class DecisionLog {
  /** Words between consecutive slots. */
  readonly stride: number;
  private readonly indices: BufferSlice;
  private readonly entropies: BufferSlice;
  private readonly logProbs: BufferSlice;
  /** Dense copies, filled by `pack`. */
  readonly packedIndices: Tensor;
  readonly entropySum: Tensor;
  readonly logProbSum: Tensor;
  private readonly packedScratch: BufferSlice;
  /** K of each decision, as the last recorded pass made it (set by `keptRow`). */
  readonly categories: number[] = [];
  /** Rows of kept logits, one aligned row per decision (see `keepLogits`). */
  private kept: { slice: BufferSlice; rowWords: number; maxCategories: number } | undefined;

  constructor(
    private readonly engine: Engine,
    readonly count: number,
    name: string,
  ) {
    this.stride = Math.max(1, engine.ctx.limits.minStorageBufferOffsetAlignment / 4);
    this.indices = engine.store.alloc(count * this.stride * 4, `${name}.indices`);
    this.entropies = engine.store.alloc(count * this.stride * 4, `${name}.entropies`);
    this.logProbs = engine.store.alloc(count * this.stride * 4, `${name}.log-probs`);
    this.packedIndices = engine.persistent(new Uint32Array(count), [count], `${name}.arc`);
    this.entropySum = engine.persistent(new Float32Array(1), [1], `${name}.entropy`);
    this.logProbSum = engine.persistent(new Float32Array(1), [1], `${name}.log-prob`);
    this.packedScratch = engine.store.alloc(count * 4, `${name}.packed`);
  }

  private slot(base: BufferSlice, i: number): BufferSlice {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new Error(`decision ${i} is outside this log of ${this.count}`);
    return { buffer: base.buffer, offset: base.offset + i * this.stride * 4, size: 4 };
  }

  /** Decision i as a one-element u32 tensor (a label or a gather index on the GPU). */
  index(i: number): Tensor {
    return this.view(this.slot(this.indices, i), `decision[${i}]`);
  }

  /** Where a sampler writes decision i's entropy. */
  entropySlot(i: number): BufferSlice {
    return this.slot(this.entropies, i);
  }

  /** Where a sampler writes log p of decision i (kept for logs and checks; the replay recomputes it with a tape). */
  logProbSlot(i: number): BufferSlice {
    return this.slot(this.logProbs, i);
  }

  /** Where a sampler writes decision i's index. */
  indexSlot(i: number): BufferSlice {
    return this.slot(this.indices, i);
  }

  /**
   * From now on, keep each sampled decision's final logits (after shaping and any fixed bias: what the sampler
   * drew from), for `readProbabilities`. The sampler writes them as it draws (no dispatch of their own); they take
   * one aligned row per decision, so only tools that look at the distributions turn it on. `maxCategories`: the
   * largest K of any decision.
   */
  keepLogits(maxCategories: number): void {
    if (!Number.isInteger(maxCategories) || maxCategories < 1) {
      throw new Error(`DecisionLog.keepLogits: maxCategories must be a positive integer, got ${maxCategories}`);
    }
    if (this.kept && this.kept.maxCategories >= maxCategories) return;
    // Each row starts at an aligned offset, so the copy of a decision's logits can bind its row alone.
    const rowWords = Math.ceil(maxCategories / this.stride) * this.stride;
    const slice = this.engine.store.alloc(this.count * rowWords * 4, 'decision-log.logits');
    this.kept = { slice, rowWords, maxCategories };
  }

  get keepsLogits(): boolean {
    return this.kept !== undefined;
  }

  /**
   * Called by a sampler for decision i of K categories: notes K, and returns where the sampler writes the final
   * logits when they are kept (row i), else undefined.
   */
  keptRow(i: number, K: number): BufferSlice | undefined {
    this.slot(this.indices, i); // range check
    this.categories[i] = K;
    if (!this.kept) return undefined;
    if (K > this.kept.maxCategories) {
      throw new Error(`DecisionLog.keptRow: decision ${i} has ${K} categories, but keepLogits was given ${this.kept.maxCategories}`);
    }
    return { buffer: this.kept.slice.buffer, offset: this.kept.slice.offset + i * this.kept.rowWords * 4, size: K * 4 };
  }

  /**
   * Reads back the kept logits of the last sampling pass and returns each decision's probabilities (softmax over
   * its K categories, in float64). Its own submit and a wait: for a viewer between steps, not for a training loop.
   */
  async readProbabilities(): Promise<Float64Array[]> {
    if (!this.kept) throw new Error('DecisionLog.readProbabilities: call keepLogits(maxCategories) before the sampling pass');
    if (this.categories.length < this.count) throw new Error('DecisionLog.readProbabilities: no sampling pass was recorded yet');
    const rows = await readF32(this.engine.ctx, this.kept.slice);
    return softmaxRows(rows, this.kept.rowWords, this.categories);
  }

  /**
   * Records the dense copies: packedIndices (the architecture), entropySum (Σ entropy of the decisions) and
   * logProbSum (Σ log p of the decisions, as the sampler computed them).
   */
  pack(): void {
    const rec = this.engine.rec;
    packStrided(rec, { x: this.indices, y: this.packedIndices.data }, this.count, this.stride);
    packStrided(rec, { x: this.entropies, y: this.packedScratch }, this.count, this.stride);
    sumAll(rec, { x: this.packedScratch, out: this.entropySum.data }, this.count);
    packStrided(rec, { x: this.logProbs, y: this.packedScratch }, this.count, this.stride);
    sumAll(rec, { x: this.packedScratch, out: this.logProbSum.data }, this.count);
  }

  private view(data: BufferSlice, name: string): Tensor {
    // A persistent one-element tensor over the slot (the same storage every pass, so bindings are reused).
    return new Tensor({ engine: this.engine, shape: [1], data, name, requiresGrad: false, step: -1 });
  }
}

/** Softmax of row i's first `categories[i]` values, rows `rowWords` apart, in float64 (max-subtracted). */
export function softmaxRows(values: ArrayLike<number>, rowWords: number, categories: readonly number[]): Float64Array[] {
  return categories.map((K, i) => {
    const base = i * rowWords;
    if (K > rowWords || base + K > values.length) {
      throw new Error(`softmaxRows: row ${i} needs ${K} values at ${base}, but rows are ${rowWords} apart in ${values.length} values`);
    }
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, values[base + k] as number);
    const p = new Float64Array(K);
    let sum = 0;
    for (let k = 0; k < K; k++) {
      p[k] = Math.exp((values[base + k] as number) - max);
      sum += p[k] as number;
    }
    for (let k = 0; k < K; k++) p[k] = (p[k] as number) / sum;
    return p;
  });
}
