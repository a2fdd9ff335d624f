/**
 * Typed errors decide what happens to a failed job:
 * - auth / configuration (`CRM.AUTH`, `CRM.MISCONFIGURED`, `CONFIG.*`, `QUEUE.BAD_PAYLOAD`):
 *   unrecoverable, no retry; the connection is flagged as needing attention;
 * - rate limit or quota escaping the connector (`CRM.RATE_LIMITED`, `CRM.QUOTA_EXCEEDED`): the job
 *   is delayed until the provider allows calls again; no attempt is spent;
 * - anything else (transient CRM errors, a database hiccup, a bug): BullMQ retries with backoff,
 *   and the job is kept in the failed set once attempts run out.
 */
import { DealwatchError } from '../domain/errors.js';

export type JobFate =
  { kind: 'unrecoverable'; reason: string } | { kind: 'delay'; delayMs: number; reason: string } | { kind: 'retry'; reason: string };

const UNRECOVERABLE = new Set(['CRM.AUTH', 'CRM.MISCONFIGURED', 'CONFIG.INVALID', 'CONFIG.SECRET_MISSING', 'QUEUE.BAD_PAYLOAD']);

/** Default wait when a provider rate-limits without saying for how long. */
export const DEFAULT_RATE_LIMIT_DELAY_MS = 10_000;
/** Wait when a daily quota is exhausted: check back in an hour. */
export const QUOTA_DELAY_MS = 3_600_000;

/** Reads the fate of an error: a plain Error (a bug, a socket reset) is retried. */
export function fateOf(error: unknown): JobFate {
  const reason = describe(error);
  if (error instanceof DealwatchError) {
    if (UNRECOVERABLE.has(error.code)) return { kind: 'unrecoverable', reason };
    if (error.code === 'CRM.RATE_LIMITED') {
      const hinted = (error as { retryAfterMs?: number | null }).retryAfterMs;
      return { kind: 'delay', delayMs: hinted && hinted > 0 ? hinted : DEFAULT_RATE_LIMIT_DELAY_MS, reason };
    }
    if (error.code === 'CRM.QUOTA_EXCEEDED') return { kind: 'delay', delayMs: QUOTA_DELAY_MS, reason };
  }
  return { kind: 'retry', reason };
}

/** Code and message, never a stack or a payload (which might carry secrets). */
export function describe(error: unknown): string {
  if (error instanceof DealwatchError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Adds up to `jitter` (0..1) of `ms` at random, so many delayed jobs do not wake together. */
export function withJitter(ms: number, jitter = 0.2, random: () => number = Math.random): number {
  return Math.round(ms * (1 + jitter * random()));
}
