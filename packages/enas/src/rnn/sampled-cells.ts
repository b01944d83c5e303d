/**
 * Cells the controller sampled ahead of use. A window's graph is recorded on the CPU from its architecture, and the
 * architecture is sampled on the GPU, so it must come back before the window can be recorded. Sampling it in an
 * earlier step, at the end of that step's work, lets the read-back overlap GPU work: with a lookahead of 2, the
 * cell of window i was sampled during window i − 2, which the GPU has finished by the time window i is recorded
 * (while window i − 1 runs).
 *
 * Samples stay valid as long as the controller does not change; callers discard the queue when it does (at the
 * start of each phase: child training, controller training, validation, derivation).
 */
import type { Engine, Step } from '@enas-webgpu/autograd';
import type { RnnArchitecture } from '../arch/rnn.js';
import { type RnnController, rnnArchitectureFromWords } from './rnn-controller.js';

export class SampledCells {
  private queue: Promise<RnnArchitecture>[] = [];

  constructor(readonly controller: RnnController) {}

  get engine(): Engine {
    return this.controller.engine;
  }

  /** Cells sampled and not yet taken. */
  get size(): number {
    return this.queue.length;
  }

  /** Records one sampling pass at this point of the open step; its cell joins the end of the queue. */
  record(step: Step): void {
    // Its own arena scope: the controller's temporaries never shift the child's.
    this.engine.scope('rnn.controller.sample', () => this.controller.run('sample'));
    const nodes = this.controller.nodes;
    this.queue.push(step.readU32(this.controller.log.packedIndices).then((words) => rnnArchitectureFromWords(words, nodes)));
  }

  /** Submits sampling-only steps until `depth` cells are queued. */
  fill(depth: number): void {
    while (this.queue.length < depth) {
      const step = this.engine.beginStep('rnn.sample');
      try {
        this.record(step);
        step.submit();
      } catch (error) {
        this.engine.abortStep();
        throw error;
      }
    }
  }

  /** The oldest queued cell. */
  next(): Promise<RnnArchitecture> {
    const cell = this.queue.shift();
    if (!cell) throw new Error('SampledCells: no cell queued; call fill() or record() first');
    return cell;
  }

  /**
   * For `count` fresh cells, one step each: `body` records the cell's work, then the next cell is sampled after it
   * in the same step (so a cell is always the latest sample when its step runs: a REINFORCE replay of the
   * controller's log sees its decisions). Returns body's read-backs in order.
   */
  async map<T>(count: number, body: (step: Step, arch: RnnArchitecture, index: number) => Promise<T>): Promise<T[]> {
    this.discard();
    this.fill(1);
    const reads: Promise<T>[] = [];
    for (let i = 0; i < count; i++) {
      const arch = await this.next();
      const step = this.engine.beginStep('rnn.cell');
      try {
        reads.push(body(step, arch, i));
        if (i + 1 < count) this.record(step);
        step.submit();
      } catch (error) {
        this.engine.abortStep();
        throw error;
      }
    }
    return Promise.all(reads);
  }

  /** Drops every queued cell (the controller changed, or a phase starts over). */
  discard(): void {
    for (const cell of this.queue) cell.catch(() => undefined);
    this.queue = [];
  }
}
