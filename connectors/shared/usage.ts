import type { ApiUsage } from '../../src/domain/model/index.js';
import type { ApiCallListener } from '../types.js';

/** Counts a connector's API calls by endpoint, the 429s it received and the provider's quota. */
export class UsageCounter {
  /** `onAnswer` hears each call's outcome as it happens (the process's metrics). */
  constructor(private readonly onAnswer?: ApiCallListener) {}

  private calls = 0;
  private byEndpoint = new Map<string, number>();
  private rateLimited = 0;
  private quota: ApiUsage['quota'] = null;

  /** One HTTP request sent, whatever its outcome. `endpoint` is a route template (`POST /crm/v3/objects/deals/search`). */
  recordCall(endpoint: string): void {
    this.calls += 1;
    this.byEndpoint.set(endpoint, (this.byEndpoint.get(endpoint) ?? 0) + 1);
  }

  /** How a call ended: the HTTP status, or null when no answer came (network failure, timeout). */
  recordAnswer(endpoint: string, status: number | null): void {
    this.onAnswer?.({ endpoint, status });
  }

  recordRateLimited(): void {
    this.rateLimited += 1;
  }

  /** Latest quota the provider reported; unknown parts keep their previous value. */
  recordQuota(quota: { used?: number | null; limit?: number | null; remaining?: number | null }): void {
    const previous = this.quota ?? { used: null, limit: null, remaining: null };
    this.quota = {
      used: quota.used ?? previous.used,
      limit: quota.limit ?? previous.limit,
      remaining: quota.remaining ?? previous.remaining,
    };
  }

  snapshot(): ApiUsage {
    return {
      calls: this.calls,
      byEndpoint: Object.fromEntries(this.byEndpoint),
      rateLimited: this.rateLimited,
      quota: this.quota ? { ...this.quota } : null,
    };
  }

  reset(): void {
    this.calls = 0;
    this.byEndpoint.clear();
    this.rateLimited = 0;
    this.quota = null;
  }
}
