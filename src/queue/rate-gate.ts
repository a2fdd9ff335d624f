/**
 * The RateGate of connectors/types.ts, shared by every worker process of a connection: the
 * permits live in Redis (RateLimiterRedis) or in PostgreSQL (RateLimiterPostgres), so N workers
 * together stay under the provider's limit. `take()` waits for a permit; it never fails for lack of one.
 */
import { RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { BackendConnections } from './backend.js';

/** Same shape as connectors/types.ts `RateGate` (src/queue may not import connectors/). */
export interface SharedRateGate {
  take(bucket: string, signal?: AbortSignal): Promise<void>;
}

/** Requests allowed per window, per bucket (`default`, `search`, ...). */
export type RateLimits = Record<string, { requests: number; perMs: number }>;

/**
 * Provider defaults when the connection sets no `rateLimit`:
 * HubSpot private apps 100 requests / 10 s and search 5 / s (CRM-API-NOTES.md); Salesforce has no
 * short-window limit, only concurrency (25 long calls) and a daily quota, so a throughput ceiling of
 * 25 / s keeps a sync polite without slowing it much.
 */
export const PROVIDER_RATE_LIMITS: Record<'hubspot' | 'salesforce', RateLimits> = {
  hubspot: { default: { requests: 100, perMs: 10_000 }, search: { requests: 5, perMs: 1_000 } },
  salesforce: { default: { requests: 25, perMs: 1_000 } },
};

/** Limits for a connection: its `rateLimit` replaces the provider's `default` bucket. */
export function rateLimitsFor(
  provider: 'hubspot' | 'salesforce',
  override?: { requests: number; perMs: number } | undefined,
): RateLimits {
  const base = PROVIDER_RATE_LIMITS[provider];
  return override ? { ...base, default: override } : { ...base };
}

const TABLE = 'dealwatch_rate_limits';

/** Builds rate gates on the backend's store; one limiter per (connection, bucket). */
export class RateGateFactory {
  private readonly limiters = new Map<string, Promise<RateLimiterAbstract>>();

  constructor(
    private readonly backend: BackendConnections,
    private readonly keyPrefix: string,
  ) {}

  /** The gate of one connection. Unknown buckets fall back to `default`. */
  gateFor(connectionId: string, limits: RateLimits): SharedRateGate {
    return {
      take: async (bucket, signal) => {
        const name = limits[bucket] ? bucket : 'default';
        const limit = limits[name] ?? { requests: 10, perMs: 1_000 };
        const limiter = await this.limiter(connectionId, name, limit);
        await takePermit(limiter, connectionId, signal);
      },
    };
  }

  private limiter(connectionId: string, bucket: string, limit: { requests: number; perMs: number }): Promise<RateLimiterAbstract> {
    const id = `${connectionId}|${bucket}|${limit.requests}|${limit.perMs}`;
    let made = this.limiters.get(id);
    if (!made) {
      made = this.create(bucket, limit);
      this.limiters.set(id, made);
    }
    return made;
  }

  private create(bucket: string, limit: { requests: number; perMs: number }): Promise<RateLimiterAbstract> {
    // rate-limiter-flexible counts whole seconds; express sub-second windows as a per-second rate.
    const duration = Math.max(1, Math.round(limit.perMs / 1000));
    const points = Math.max(1, Math.round((limit.requests * duration * 1000) / limit.perMs));
    const keyPrefix = `${this.keyPrefix}:rl:${bucket}`;
    if (this.backend.limiterClient.kind === 'redis') {
      return Promise.resolve(new RateLimiterRedis({ storeClient: this.backend.limiterClient.client, keyPrefix, points, duration }));
    }
    const client = this.backend.limiterClient.client;
    return new Promise((resolve, reject) => {
      const limiter: RateLimiterPostgres = new RateLimiterPostgres(
        { storeClient: client, storeType: 'pool', tableName: TABLE, keyPrefix, points, duration, clearExpiredByTimeout: false },
        (error?: Error) => (error ? reject(error) : resolve(limiter)),
      );
    });
  }
}

/** Consumes one permit, sleeping until the window frees one. */
async function takePermit(limiter: RateLimiterAbstract, key: string, signal?: AbortSignal): Promise<void> {
  for (;;) {
    signal?.throwIfAborted();
    try {
      await limiter.consume(key, 1);
      return;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      await sleep(Math.max(5, rejection.msBeforeNext) + Math.floor(Math.random() * 20), signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
