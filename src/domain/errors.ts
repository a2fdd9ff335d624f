/**
 * Typed errors with stable codes. The code decides what happens next (retry, delay, stop)
 * and is what logs, metrics and API error bodies carry; messages never contain secrets.
 */
export type ErrorCode =
  | 'CONFIG.INVALID'
  | 'CONFIG.SECRET_MISSING'
  | 'CRM.AUTH'
  | 'CRM.RATE_LIMITED'
  | 'CRM.QUOTA_EXCEEDED'
  | 'CRM.TRANSIENT'
  | 'CRM.BAD_REQUEST'
  | 'CRM.NOT_FOUND'
  | 'CRM.MISCONFIGURED'
  | 'WEBHOOK.BAD_SIGNATURE'
  | 'WEBHOOK.STALE'
  | 'WEBHOOK.MALFORMED'
  | 'WEBHOOK.UNKNOWN_CONNECTION'
  | 'STORE.UNAVAILABLE'
  | 'STORE.MIGRATION'
  | 'QUEUE.UNAVAILABLE'
  | 'QUEUE.BAD_PAYLOAD'
  | 'QUEUE.TIMEOUT'
  | 'REQUEST.INVALID'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'DIGEST.SEND_FAILED';

export class DealwatchError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Configuration is wrong; `issues` lists one line per problem (`connections[1].auth.clientId: required`). */
export class ConfigError extends DealwatchError {
  readonly issues: string[];
  constructor(issues: string[]) {
    super('CONFIG.INVALID', `invalid configuration:\n${issues.join('\n')}`);
    this.issues = issues;
  }
}

/** A provider answered with an error, or did not answer. `retryable` says whether the call may be repeated. */
export class CrmError extends DealwatchError {
  readonly provider: string;
  readonly status: number | null;
  readonly retryable: boolean;
  /** Milliseconds the provider asked us to wait (Retry-After or policy), if known. */
  readonly retryAfterMs: number | null;
  constructor(
    code: Extract<ErrorCode, `CRM.${string}`>,
    message: string,
    details: { provider: string; status?: number | null; retryable?: boolean; retryAfterMs?: number | null; cause?: unknown },
  ) {
    super(code, message, { cause: details.cause });
    this.provider = details.provider;
    this.status = details.status ?? null;
    this.retryable = details.retryable ?? false;
    this.retryAfterMs = details.retryAfterMs ?? null;
  }
}

export class WebhookError extends DealwatchError {
  readonly httpStatus: number;
  constructor(code: Extract<ErrorCode, `WEBHOOK.${string}`>, message: string, httpStatus: number) {
    super(code, message);
    this.httpStatus = httpStatus;
  }
}

/**
 * A digest did not go out on some of its channels (the mail server or Slack refused or did not
 * answer). Retried with backoff; the channels that did go out are not sent again.
 */
export class DigestSendError extends DealwatchError {
  /** The channels that failed, each with why (no address, no secret). */
  readonly failures: { channel: 'email' | 'slack'; reason: string }[];
  constructor(digestId: string, failures: { channel: 'email' | 'slack'; reason: string }[]) {
    super('DIGEST.SEND_FAILED', `digest "${digestId}" not sent on ${failures.map((f) => `${f.channel} (${f.reason})`).join(', ')}`);
    this.failures = failures;
  }
}
