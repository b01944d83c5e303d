/** Exponential moving average: a readable trend through noisy per-step values (a minibatch's loss). */
export class Smoother {
  private value: number | null = null;
  constructor(private readonly decay = 0.9) {}

  next(x: number): number {
    if (!Number.isFinite(x)) return this.value ?? x;
    this.value = this.value === null ? x : this.decay * this.value + (1 - this.decay) * x;
    return this.value;
  }

  reset(): void {
    this.value = null;
  }
}
