/**
 * Turns Salesforce HTTP answers and jsforce errors into CrmError codes, so the retry layer and the
 * sync engine decide on a code, never on a message.
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
 */
import { CrmError } from '../../src/domain/errors.js';
import { parseRetryAfter } from '../shared/retry.js';

const provider = 'salesforce';

/** Network failures worth another attempt (the request may not have reached Salesforce). */
const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Classifies a response that jsforce would otherwise turn into a generic error (or retry on its own).
 * Returns null for responses jsforce must see: successes, 401 (session refresh) and ordinary 4xx.
 */
export function classifyResponse(status: number, headers: Record<string, string>, body: string, nowMs: number): CrmError | null {
  if (status === 429) {
    return new CrmError('CRM.RATE_LIMITED', 'Salesforce answered 429 Too Many Requests', {
      provider,
      status,
      retryable: true,
      retryAfterMs: parseRetryAfter(headers['retry-after'], nowMs),
    });
  }
  if (status === 403 && body.includes('REQUEST_LIMIT_EXCEEDED')) return requestLimitError(body, status, headers, nowMs);
  if (status >= 500) {
    return new CrmError('CRM.TRANSIENT', `Salesforce answered ${status}`, {
      provider,
      status,
      retryable: true,
      retryAfterMs: parseRetryAfter(headers['retry-after'], nowMs),
    });
  }
  return null;
}

/**
 * First wait after a concurrent-requests refusal: the calls that hold the slots run 20 s or more, so
 * retrying sooner only meets the same refusal. p-retry's backoff grows from there.
 */
export const CONCURRENT_LIMIT_BACKOFF_MS = 5_000;

/**
 * `REQUEST_LIMIT_EXCEEDED` names two limits, told apart only by the message
 * (https://developer.salesforce.com/docs/platform/salesforce-app-limits-cheatsheet/guide/salesforce-app-limits-platform-api.html):
 * - "TotalRequests Limit exceeded.": the rolling 24-hour allocation is spent. Retrying only burns
 *   what is left, so it is not retried: the sync stops as `partial` and resumes on a later run.
 * - "ConcurrentRequests (Concurrent API Requests) Limit exceeded." (also ConcurrentPerOrgLongTxn):
 *   too many requests of 20 s or more run at once. They end within seconds or minutes, so the call
 *   backs off and is retried within the run.
 * Any other text under this code is taken for the daily quota: stopping is the safe reading.
 */
export function requestLimitError(text: string, status: number, headers: Record<string, string>, nowMs: number, cause?: unknown): CrmError {
  if (/Concurrent/i.test(text)) {
    return new CrmError(
      'CRM.RATE_LIMITED',
      'Salesforce refused the call: too many long-running requests at once (REQUEST_LIMIT_EXCEEDED, concurrent requests); backing off',
      {
        provider,
        status,
        retryable: true,
        retryAfterMs: parseRetryAfter(headers['retry-after'], nowMs) ?? CONCURRENT_LIMIT_BACKOFF_MS,
        ...(cause === undefined ? {} : { cause }),
      },
    );
  }
  const message =
    'Salesforce API request limit exceeded (REQUEST_LIMIT_EXCEEDED: TotalRequests, the rolling 24-hour allocation); ' +
    'the sync resumes on the next run';
  return new CrmError('CRM.QUOTA_EXCEEDED', message, {
    provider,
    status,
    retryable: false,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Maps a network error thrown by the HTTP layer. */
export function classifyNetworkError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) {
    return new CrmError('CRM.TRANSIENT', `network error talking to Salesforce (${code})`, { provider, retryable: true, cause: err });
  }
  return err;
}

/** Maps whatever a jsforce call threw to a CrmError (already-typed errors pass through). */
export function toCrmError(err: unknown): CrmError {
  if (err instanceof CrmError) return err;
  const e = err as { name?: unknown; errorCode?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const errorCode = typeof e?.errorCode === 'string' ? e.errorCode : typeof e?.name === 'string' ? e.name : '';
  if (message.startsWith('Unable to refresh session') || errorCode === 'INVALID_SESSION_ID' || errorCode === 'ERROR_HTTP_401') {
    return new CrmError('CRM.AUTH', `Salesforce rejected the credentials (${errorCode || 'refresh failed'}); re-authorize the connection`, {
      provider,
      status: 401,
      retryable: false,
      cause: err,
    });
  }
  if (errorCode === 'REQUEST_LIMIT_EXCEEDED') return requestLimitError(message, 403, {}, Date.now(), err);
  if (errorCode === 'NOT_FOUND' || errorCode === 'ERROR_HTTP_404') {
    return new CrmError('CRM.NOT_FOUND', `Salesforce: ${message}`, { provider, status: 404, cause: err });
  }
  if (
    errorCode === 'INVALID_FIELD' ||
    errorCode === 'INVALID_TYPE' ||
    errorCode === 'INSUFFICIENT_ACCESS' ||
    errorCode === 'INSUFFICIENT_ACCESS_OR_READONLY'
  ) {
    return new CrmError(
      'CRM.MISCONFIGURED',
      `Salesforce: ${errorCode}: ${message}; check the field map and the integration user's permissions`,
      { provider, cause: err },
    );
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) {
    return new CrmError('CRM.TRANSIENT', `network error talking to Salesforce (${code})`, { provider, retryable: true, cause: err });
  }
  return new CrmError('CRM.BAD_REQUEST', `Salesforce: ${errorCode ? `${errorCode}: ` : ''}${message}`, { provider, cause: err });
}

/**
 * Token endpoint failures: jsforce names the error after OAuth's `error` (`invalid_grant`) or
 * `ERROR_HTTP_<status>` when the body is not OAuth JSON. Only refusals are CRM.AUTH; an outage of the
 * token endpoint is transient. https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flow_errors.htm
 */
export function classifyTokenError(err: unknown): CrmError {
  if (err instanceof CrmError) return err;
  const name = (err as { name?: unknown } | null)?.name;
  const status = typeof name === 'string' ? /^ERROR_HTTP_(\d{3})$/.exec(name)?.[1] : undefined;
  if ((status && (Number(status) >= 500 || status === '429')) || (err as { code?: unknown } | null)?.code === 'ECONNRESET') {
    return new CrmError('CRM.TRANSIENT', `Salesforce token endpoint unavailable (${status ?? 'network'})`, {
      provider,
      retryable: true,
      cause: err,
    });
  }
  const reason = typeof name === 'string' && name !== 'Error' ? name : 'refused';
  return new CrmError('CRM.AUTH', `Salesforce refused to issue an access token (${reason}); re-authorize the connection`, {
    provider,
    status: 401,
    cause: err,
  });
}
