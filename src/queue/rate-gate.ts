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

/**
 * Requests allowed per window, per bucket (`default`, `search`, ...): the same shape as connectors/types.ts
 * `RateLimits`, which a provider's descriptor sets (src/queue may not import connectors/).
 */
export type RateLimits = Record<string, { requests: number; perMs: number }>;

/**
 * How a limit of L requests per rolling window W is enforced with fixed windows.
 *
 * A fixed-window counter lets up to 2L through in a rolling W (L at the end of one window, L at
 * the start of the next): HubSpot's rolling 10 s window answered a full sync with 79 429s. So the
 * window is cut into k sub-windows of W/k, aligned on the clock, each allowing floor(L/(k+1)).
 * Any rolling window of length W overlaps at most k+1 sub-windows, so at most
 * (k+1)·floor(L/(k+1)) <= L requests pass in it, whatever the timing. Throughput is
 * k·floor(L/(k+1)) per W; k is the smallest that reaches 95% of L (finer sub-windows cost more
 * counter keys), or the best there is when none does (small L: k = L-1, one request per sub-window).
 * L is the limit less a margin (RATE_MARGIN). HubSpot 100 / 10 s plans for 97: k = 31, 3 per
 * 323 ms = 93 per 10 s, at most 96 in any rolling 10 s; search 5 / s: k = 4, 1 per 250 ms.
 * The bound holds at the moment of `take()`; network latency that varies by more than a
 * sub-window could still shift a request into the provider's next window.
 */
export interface SubWindowPlan {
  /** k */
  subWindows: number;
  /** W / k */
  subWindowMs: number;
  /** floor(L / (k + 1)), at least 1 */
  perSubWindow: number;
}

const TARGET_SHARE = 0.95;

/**
 * Share of a limit left unplanned. The bound above holds when `take()` runs; a request that then
 * spends longer on the wire than the ones after it reaches the provider in a later window than
 * planned, and with the plan at exactly L the provider answers it 429. Planning for L minus 3% (97
 * of HubSpot's 100 per 10 s) leaves room for such late arrivals. Limits under 17 get no margin:
 * one request is too large a share of them.
 */
export const RATE_MARGIN = 0.03;

/** Requests a plan allows in any rolling window: the limit less the margin. */
export function plannedCapacity(requests: number): number {
  const L = Math.max(1, Math.floor(requests));
  return L - Math.round(L * RATE_MARGIN);
}

export function subWindowPlan(limit: { requests: number; perMs: number }): SubWindowPlan {
  const L = plannedCapacity(limit.requests);
  const plan = (k: number): SubWindowPlan => ({
    subWindows: k,
    subWindowMs: limit.perMs / k,
    perSubWindow: Math.max(1, Math.floor(L / (k + 1))),
  });
  // L = 1 cannot be split: one per W (a rolling window may then see 2).
  if (L === 1) return plan(1);
  let best = plan(1);
  for (let k = 1; k <= L - 1; k++) {
    const candidate = plan(k);
    const share = (k * candidate.perSubWindow) / L;
    if (share >= TARGET_SHARE) return candidate;
    if (share > (best.subWindows * best.perSubWindow) / L) best = candidate;
  }
  return best;
}

const TABLE = 'dealwatch_rate_limits';

interface SubWindowLimiter {
  limiter: RateLimiterAbstract;
  plan: SubWindowPlan;
}

/** Builds rate gates on the backend's store; one limiter per (connection, bucket). */
export class RateGateFactory {
  private readonly limiters = new Map<string, Promise<SubWindowLimiter>>();

  constructor(
    private readonly backend: BackendConnections,
    private readonly keyPrefix: string,
  ) {}

  /**
   * The gate of one connection. Unknown buckets fall back to `default`. `onWait` hears how long a
   * call was held back when its sub-window was spent (a sync's progress shows these waits).
   */
  gateFor(connectionId: string, limits: RateLimits, onWait?: (ms: number) => void): SharedRateGate {
    return {
      take: async (bucket, signal) => {
        const name = limits[bucket] ? bucket : 'default';
        const limit = limits[name] ?? { requests: 10, perMs: 1_000 };
        const limiter = await this.limiter(connectionId, name, limit);
        const slept = await takePermit(limiter, connectionId, signal);
        if (slept > 0) onWait?.(slept);
      },
    };
  }

  private limiter(connectionId: string, bucket: string, limit: { requests: number; perMs: number }): Promise<SubWindowLimiter> {
    const id = `${connectionId}|${bucket}|${limit.requests}|${limit.perMs}`;
    let made = this.limiters.get(id);
    if (!made) {
      made = this.create(bucket, subWindowPlan(limit));
      this.limiters.set(id, made);
    }
    return made;
  }

  private async create(bucket: string, plan: SubWindowPlan): Promise<SubWindowLimiter> {
    // Each sub-window has its own key (its index on the clock), so the library's duration only
    // has to outlive the sub-window: whole seconds, as RateLimiterRedis expires keys in seconds.
    const duration = Math.max(1, Math.ceil(plan.subWindowMs / 1000));
    const points = plan.perSubWindow;
    const keyPrefix = `${this.keyPrefix}:${bucket}`;
    if (this.backend.limiterClient.kind === 'redis') {
      return { plan, limiter: new RateLimiterRedis({ storeClient: this.backend.limiterClient.client, keyPrefix, points, duration }) };
    }
    const client = this.backend.limiterClient.client;
    const limiter = await new Promise<RateLimiterPostgres>((resolve, reject) => {
      // clearExpiredByTimeout: one row per sub-window; the library deletes rows expired over an
      // hour ago every 5 minutes (an unref'd timer).
      const made: RateLimiterPostgres = new RateLimiterPostgres(
        { storeClient: client, storeType: 'pool', tableName: TABLE, keyPrefix, points, duration, clearExpiredByTimeout: true },
        (error?: Error) => (error ? reject(error) : resolve(made)),
      );
    });
    return { plan, limiter };
  }
}

/**
 * Consumes one permit of the current sub-window, sleeping to the next one while it is spent.
 * Returns the ms slept (0 when a permit was at hand).
 */
async function takePermit({ limiter, plan }: SubWindowLimiter, key: string, signal?: AbortSignal): Promise<number> {
  let slept = 0;
  for (;;) {
    signal?.throwIfAborted();
    const now = Date.now();
    const index = Math.floor(now / plan.subWindowMs);
    try {
      await limiter.consume(`${key}:${index}`, 1);
      return slept;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const untilNext = (index + 1) * plan.subWindowMs - Date.now();
      // A little jitter so that the workers waiting on one connection do not all wake at once.
      const ms = Math.max(1, Math.ceil(untilNext)) + Math.floor(Math.random() * Math.min(20, plan.subWindowMs / 10));
      await sleep(ms, signal);
      slept += ms;
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
