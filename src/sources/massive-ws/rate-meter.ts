/** Events per second over the last `seconds` whole seconds (1-second buckets). */
export class RateMeter {
  private readonly counts: number[];
  private readonly seconds: number[];
  constructor(private readonly windowSeconds: number) {
    this.counts = new Array<number>(windowSeconds).fill(0);
    this.seconds = new Array<number>(windowSeconds).fill(-1);
  }
  add(nowMs: number, n: number): void {
    const s = Math.floor(nowMs / 1000);
    const i = s % this.windowSeconds;
    if (this.seconds[i] !== s) { this.seconds[i] = s; this.counts[i] = 0; }
    this.counts[i]! += n;
  }
  perSecond(nowMs: number): number {
    const s = Math.floor(nowMs / 1000);
    let total = 0;
    for (let i = 0; i < this.windowSeconds; i++) {
      const age = s - this.seconds[i]!;
      if (age >= 0 && age < this.windowSeconds) total += this.counts[i]!;
    }
    return total / this.windowSeconds;
  }
}
