/**
 * HubSpot's limits for a private app: a rolling 10-second burst limit per token, 5 search
 * requests per second, and a daily cap; with the X-HubSpot-RateLimit-* headers HubSpot sends on
 * normal (non-search) responses.
 */
import { SlidingWindow } from '../rate-window.js';
import { rateLimited } from './errors.js';

export interface HubSpotRateLimitOptions {
  /** @defaultValue 100 */
  perTenSeconds?: number;
  /** @defaultValue 5 */
  searchPerSecond?: number;
  /** @defaultValue 250000 */
  daily?: number;
}

export type RateDecision =
  { allowed: true; headers: Record<string, string> } | { allowed: false; body: Record<string, unknown>; policy: string };

export class HubSpotRateLimiter {
  private readonly burst: SlidingWindow;
  private readonly search: SlidingWindow;
  readonly daily: number;
  private dailyUsed = 0;
  private day = -1;

  constructor(
    options: HubSpotRateLimitOptions,
    private readonly enabled: boolean,
    private readonly wallNow: () => number = Date.now,
  ) {
    this.burst = new SlidingWindow(options.perTenSeconds ?? 100, 10_000);
    this.search = new SlidingWindow(options.searchPerSecond ?? 5, 1_000);
    this.daily = options.daily ?? 250_000;
  }

  take(isSearch: boolean): RateDecision {
    const now = this.wallNow();
    const day = Math.floor(now / 86_400_000);
    if (day !== this.day) {
      this.day = day;
      this.dailyUsed = 0;
    }
    if (this.enabled) {
      if (this.dailyUsed >= this.daily) return { allowed: false, body: rateLimited('DAILY'), policy: 'DAILY' };
      if (isSearch) {
        if (!this.search.tryTake(now)) return { allowed: false, body: rateLimited('SECONDLY'), policy: 'SECONDLY' };
      } else if (!this.burst.tryTake(now)) {
        return { allowed: false, body: rateLimited('TEN_SECONDLY_ROLLING'), policy: 'TEN_SECONDLY_ROLLING' };
      }
    }
    this.dailyUsed++;
    if (isSearch) return { allowed: true, headers: {} };
    return {
      allowed: true,
      headers: {
        'X-HubSpot-RateLimit-Daily': String(this.daily),
        'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, this.daily - this.dailyUsed)),
        'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
        'X-HubSpot-RateLimit-Max': String(this.burst.limit),
        'X-HubSpot-RateLimit-Remaining': String(this.enabled ? this.burst.remaining(now) : this.burst.limit),
        'X-HubSpot-RateLimit-Secondly': String(Math.ceil(this.burst.limit / 10)),
        'X-HubSpot-RateLimit-Secondly-Remaining': String(Math.ceil(this.burst.limit / 10)),
      },
    };
  }
}
