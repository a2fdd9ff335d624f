/**
 * A lease shared by every worker process: at most one holder of a name at a time (e.g. the
 * write-back of one connection, whose ledger rows must not be written by two workers at once).
 * Built on the rate limiter's store (one permit per lease period), renewed while held; a holder
 * that dies frees it when the period lapses.
 */
import { RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DealwatchError } from '../domain/errors.js';
import type { BackendConnections } from './backend.js';

const TABLE = 'dealwatch_leases';

export class LeaseFactory {
  private limiter: Promise<RateLimiterAbstract> | undefined;

  constructor(
    private readonly backend: BackendConnections,
    private readonly keyPrefix: string,
    private readonly leaseSeconds = 30,
    private readonly log?: { warn(obj: object, msg?: string): void },
  ) {}

  /** Per lease name, the end of this process's queue of holders. */
  private readonly localTails = new Map<string, Promise<void>>();

  /**
   * Runs `work` holding the lease `name`, waiting for it when another holder has it. `lost` aborts
   * when the lease could not be renewed before it lapsed (another holder may have it now): the
   * work should stop there, and its job fails and is retried.
   */
  async withLease<T>(name: string, work: (lost: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    // Holders in this process queue here first and take the shared lease one after the other:
    // the next one starts as soon as the previous one lets go, instead of polling the shared
    // store every 250 ms (which cost the webhook path seconds when its 8 workers wanted the same
    // connection's write-back lease). Other processes still meet at the shared lease.
    const previous = this.localTails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.localTails.set(name, tail);
    try {
      await abortable(previous, signal);
      return await this.withSharedLease(name, work, signal);
    } finally {
      release();
      if (this.localTails.get(name) === tail) this.localTails.delete(name);
    }
  }

  private async withSharedLease<T>(name: string, work: (lost: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const limiter = await this.get();
    for (;;) {
      signal?.throwIfAborted();
      try {
        await limiter.consume(name, 1);
        break;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        await new Promise((r) => setTimeout(r, Math.min(250, Math.max(20, rejection.msBeforeNext))));
      }
    }
    const periodMs = this.leaseSeconds * 1000;
    const everyMs = periodMs / 3;
    const lost = new AbortController();
    let heldUntil = Date.now() + periodMs;
    const renew = setInterval(() => {
      limiter.set(name, 1, this.leaseSeconds).then(
        () => (heldUntil = Date.now() + periodMs),
        (err: unknown) => {
          // Renewals fail while the store is unreachable; once the lease may lapse before the next
          // try, another worker may take it: the holder is told to stop rather than write on.
          const lapses = Date.now() + everyMs >= heldUntil;
          this.log?.warn(
            { lease: name, lost: lapses, err: err instanceof Error ? err.message : String(err) },
            lapses ? 'lease lost: its renewal failed' : 'lease renewal failed',
          );
          if (lapses && !lost.signal.aborted)
            lost.abort(new DealwatchError('QUEUE.UNAVAILABLE', `lease ${name} lost: its renewal failed`, { cause: err }));
        },
      );
    }, everyMs);
    renew.unref();
    try {
      return await work(lost.signal);
    } finally {
      clearInterval(renew);
      // Not freed now means freed when the period lapses: others wait that long, nothing is lost.
      await limiter
        .delete(name)
        .catch((err: unknown) =>
          this.log?.warn(
            { lease: name, err: err instanceof Error ? err.message : String(err) },
            'lease release failed; it lapses by itself',
          ),
        );
    }
  }

  private get(): Promise<RateLimiterAbstract> {
    this.limiter ??= this.create();
    return this.limiter;
  }

  private create(): Promise<RateLimiterAbstract> {
    const options = { keyPrefix: this.keyPrefix, points: 1, duration: this.leaseSeconds };
    if (this.backend.limiterClient.kind === 'redis') {
      return Promise.resolve(new RateLimiterRedis({ ...options, storeClient: this.backend.limiterClient.client }));
    }
    const client = this.backend.limiterClient.client;
    return new Promise((resolve, reject) => {
      const limiter: RateLimiterPostgres = new RateLimiterPostgres(
        { ...options, storeClient: client, storeType: 'pool', tableName: TABLE, clearExpiredByTimeout: false },
        (error?: Error) => (error ? reject(error) : resolve(limiter)),
      );
    });
  }
}

/** Waits for `promise`, or rejects when `signal` aborts first. */
function abortable(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
