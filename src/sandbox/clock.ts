/**
 * The sandbox's notion of "now": starts at the configured time and moves with the wall clock;
 * tests can set it or move it forward. Record stamps (hs_lastmodifieddate, SystemModstamp) use it.
 */
export class SandboxClock {
  private offsetMs: number;
  constructor(
    start: Date,
    private readonly wallNow: () => number = Date.now,
  ) {
    this.offsetMs = start.getTime() - wallNow();
  }
  now(): number {
    return this.wallNow() + this.offsetMs;
  }
  set(at: Date): void {
    this.offsetMs = at.getTime() - this.wallNow();
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
