/**
 * Sliding-window request counter. HubSpot's burst limit is a *rolling* 10-second window (and the
 * search limit a rolling second); rate-limiter-flexible's memory limiter is fixed-window, which
 * would let twice the limit through across a window edge, so this keeps the timestamps itself.
 */
export class SlidingWindow {
  private readonly stamps: number[] = [];
  private head = 0;
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  private evict(now: number): void {
    while (this.head < this.stamps.length && (this.stamps[this.head] as number) <= now - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.stamps.length) {
      this.stamps.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Counts the request if the window has room; returns false (and counts nothing) if not. */
  tryTake(now: number): boolean {
    this.evict(now);
    if (this.stamps.length - this.head >= this.limit) return false;
    this.stamps.push(now);
    return true;
  }

  remaining(now: number): number {
    this.evict(now);
    return Math.max(0, this.limit - (this.stamps.length - this.head));
  }
}
