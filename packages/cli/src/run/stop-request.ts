/**
 * How a long run (search or training) stops early: the first Ctrl-C asks it to stop after the current step (the
 * loop then writes a checkpoint and the command exits 130), a second one quits at once. The hidden
 * `--stop-after-steps N` stops it after N steps of this process, so the tests interrupt runs at an exact place.
 */
import type { RunDir } from './run-dir.js';

export class StopRequest {
  private interrupts = 0;
  private readonly limit: number;
  private readonly onSigint = () => {
    this.interrupts += 1;
    if (this.interrupts === 1) {
      process.stderr.write(`\nenas: stopping after this ${this.unit}; writing a checkpoint (Ctrl-C again to quit now)\n`);
    } else {
      process.exit(130);
    }
  };

  /** Listens for Ctrl-C until `dispose`. `unit` names a step in the message ('step', or 'window' for text). */
  constructor(
    private readonly unit: 'step' | 'window',
    stopAfterSteps: string | undefined,
  ) {
    this.limit = stopAfterSteps === undefined ? Number.POSITIVE_INFINITY : Number(stopAfterSteps);
    process.on('SIGINT', this.onSigint);
  }

  /** Whether the run should stop now, having done `steps` steps since this process started it. */
  requested(steps: number): boolean {
    return this.interrupts > 0 || steps >= this.limit;
  }

  dispose(): void {
    process.off('SIGINT', this.onSigint);
  }
}

/** What an interrupted command prints, and its exit status. */
export function reportInterrupted(command: 'search' | 'train', run: RunDir): void {
  console.log(`interrupted: checkpoint written; continue with: enas ${command} --resume ${run.path}`);
  process.exitCode = 130;
}
