/** HubSpot's answers and SDK/network failures as `CrmError`s whose codes decide what happens next. */
import { CrmError } from '../../src/domain/errors.js';
import { parseRetryAfter } from '../shared/retry.js';

/** A response header by name, whatever its case. */
export function header(headers: Record<string, string>, name: string): string | undefined {
  return headers[name] ?? headers[name.toLowerCase()];
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/** Turns an SDK/network failure into a CrmError whose code decides what happens next. */
export function classifyError(
  error: unknown,
  observer: { status: number | null; headers: Record<string, string>; policyName: string | null },
  endpoint: string,
  context: { connectionId?: string | null; oauth?: boolean } = {},
): CrmError {
  if (error instanceof CrmError) return error;
  const sdkCode = (error as { code?: unknown }).code;
  const status = typeof sdkCode === 'number' ? sdkCode : observer.status;
  const headers = { ...observer.headers, ...((error as { headers?: Record<string, string> }).headers ?? {}) };
  const body = (error as { body?: { message?: unknown; category?: unknown } }).body;
  const providerMessage = typeof body?.message === 'string' ? body.message : null;
  const detail = providerMessage ? `: ${providerMessage}` : '';
  const base = { provider: 'hubspot', status, cause: error };

  if (status === null || status === undefined) {
    const errno = (error as { code?: unknown; errno?: unknown }).code;
    if ((typeof errno === 'string' && NETWORK_CODES.has(errno)) || (error as { type?: unknown }).type === 'system') {
      return new CrmError('CRM.TRANSIENT', `HubSpot ${endpoint}: network error (${String(errno)})`, {
        ...base,
        status: null,
        retryable: true,
      });
    }
    return new CrmError('CRM.TRANSIENT', `HubSpot ${endpoint}: ${(error as Error).message ?? 'unknown failure'}`, {
      ...base,
      status: null,
      retryable: false,
    });
  }
  if (status === 401) {
    const who = context.connectionId ? ` of connection "${context.connectionId}"` : '';
    const todo = context.oauth
      ? 'reinstall the app and set auth.refreshToken'
      : 'renew the private app token (accessToken) or reconnect the app';
    return new CrmError('CRM.AUTH', `HubSpot rejected the access token${who} (401) on ${endpoint}; ${todo}${detail}`, base);
  }
  if (status === 403) {
    const who = context.connectionId ? ` to connection "${context.connectionId}"` : '';
    return new CrmError('CRM.AUTH', `HubSpot refused ${endpoint}${who} (403): the token lacks a required scope${detail}`, base);
  }
  if (status === 429) {
    const policy = observer.policyName ?? (typeof body?.message === 'string' && /daily/i.test(body.message) ? 'DAILY' : null);
    if (policy === 'DAILY' || header(headers, 'x-hubspot-ratelimit-daily-remaining') === '0') {
      return new CrmError(
        'CRM.QUOTA_EXCEEDED',
        `HubSpot daily API limit reached on ${endpoint}; the sync resumes from its cursor after the daily reset`,
        base,
      );
    }
    return new CrmError('CRM.RATE_LIMITED', `HubSpot rate limit (${policy ?? 'unknown policy'}) on ${endpoint}`, {
      ...base,
      retryable: true,
      retryAfterMs: retryAfterMs(headers, policy),
    });
  }
  if (status === 423) {
    // Locked record/portal: HubSpot asks for at least 2 s before retrying.
    return new CrmError('CRM.TRANSIENT', `HubSpot ${endpoint} is locked (423)${detail}`, { ...base, retryable: true, retryAfterMs: 2_000 });
  }
  if (status >= 500) {
    return new CrmError('CRM.TRANSIENT', `HubSpot ${endpoint} failed with ${status}${detail}`, {
      ...base,
      retryable: true,
      retryAfterMs: retryAfterMs(headers, null),
    });
  }
  if (status === 404) return new CrmError('CRM.NOT_FOUND', `HubSpot ${endpoint}: not found${detail}`, base);
  return new CrmError('CRM.BAD_REQUEST', `HubSpot ${endpoint} rejected the request (${status})${detail}`, base);
}

function retryAfterMs(headers: Record<string, string>, policy: string | null): number | null {
  const retryAfter = parseRetryAfter(header(headers, 'retry-after'), Date.now());
  if (retryAfter !== null) return retryAfter;
  if (policy === 'SECONDLY') return 1_000;
  const interval = Number(header(headers, 'x-hubspot-ratelimit-interval-milliseconds'));
  // The rolling window has fully turned over after one interval.
  if (Number.isFinite(interval) && interval > 0) return interval;
  return null;
}
