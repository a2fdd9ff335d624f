/**
 * The one retry layer of every connector (SDK retries are off). Provider-neutral: the caller
 * classifies failures into `CrmError`s; this module only decides when to try again.
 *
 * Creates are not idempotent: a create that met an ambiguous failure (a reset, a 5xx, a timeout)
 * may have been applied, so the clients narrow `shouldRetry` for them to refusals that applied
 * nothing (429; HubSpot's 423) and to failures before sending (getting a token). The ambiguous
 * failure reaches the caller as a retryable per-record failure, and the write-back job looks the
 * keys up in the CRM before writing again (jobs/writeback.ts), so the job is where it is retried.
 */
import pRetry, { AbortError } from 'p-retry';
import { CrmError } from '../../src/domain/errors.js';

/** How a connector retries a failed call. */
export interface RetryPolicy {
  /** Retries after the first attempt. @defaultValue 5 */
  retries: number;
  /** First backoff in ms (doubled each time, with jitter). @defaultValue 500 */
  minTimeoutMs: number;
  /** Cap of one backoff in ms. @defaultValue 30000 */
  maxTimeoutMs: number;
  /** Cap of a provider-requested wait (Retry-After, rate-limit interval). @defaultValue 60000 */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  retries: 5,
  minTimeoutMs: 500,
  maxTimeoutMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** An HTTP Retry-After value (seconds or an HTTP date) as a wait in ms from `nowMs`; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, a non-retryable error is thrown, or retries run out.
 * Only `CrmError`s with `retryable: true` are retried; a provider-requested wait (`retryAfterMs`)
 * is honoured before p-retry's own exponential backoff with jitter.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  hooks: {
    signal?: AbortSignal | undefined;
    /** Narrows which retryable errors are retried (e.g. a create is not retried after a 5xx). */
    shouldRetry?: (error: CrmError) => boolean;
    onRetry?: (error: CrmError, attemptNumber: number) => void;
  } = {},
): Promise<T> {
  return pRetry(
    async () => {
      try {
        return await attempt();
      } catch (error) {
        // Anything that is not a retryable CrmError ends the retries with the original error.
        if (error instanceof CrmError && error.retryable && (hooks.shouldRetry?.(error) ?? true)) throw error;
        throw new AbortError(error instanceof Error ? error : new Error(String(error)));
      }
    },
    {
      retries: policy.retries,
      minTimeout: policy.minTimeoutMs,
      maxTimeout: policy.maxTimeoutMs,
      factor: 2,
      randomize: true,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onFailedAttempt: async (error) => {
        const crmError = error as unknown as CrmError;
        hooks.onRetry?.(crmError, error.attemptNumber);
        if (error.retriesLeft > 0 && crmError.retryAfterMs !== null && crmError.retryAfterMs > 0) {
          await sleep(Math.min(crmError.retryAfterMs, policy.maxRetryAfterMs), hooks.signal);
        }
      },
    },
  );
}
