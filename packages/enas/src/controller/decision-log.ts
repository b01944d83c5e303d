/**
 * DecisionLog: where a controller pass leaves its decisions on the GPU. Each decision gets its own aligned slot
 * (a binding offset must be a multiple of minStorageBufferOffsetAlignment, 16 to 256 bytes), so a decision can be
 * bound alone: as the label of its cross-entropy, or as the index of the gather that feeds the next LSTM step.
 * `pack` copies the slots into dense arrays: the architecture to read back, and the entropies to sum.
 */
import { type Engine, Tensor } from '@enas-webgpu/autograd';
import { type BufferSlice, packStrided, sumAll } from '@enas-webgpu/wgsl-kernels';

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
