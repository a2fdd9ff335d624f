/** How errors become HTTP answers: one mapping from error codes to status, one body shape. */
import { DealwatchError, WebhookError, type ErrorCode } from '../domain/errors.js';

// Codes not listed map by family (CRM.* 502, QUEUE.* and STORE.* 503, others 500).
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  'CONFIG.INVALID': 500,
  'CONFIG.SECRET_MISSING': 500,
  'CRM.AUTH': 502,
  'CRM.RATE_LIMITED': 503,
  'CRM.QUOTA_EXCEEDED': 503,
  'CRM.TRANSIENT': 502,
  'CRM.BAD_REQUEST': 502,
  'CRM.NOT_FOUND': 404,
  'CRM.MISCONFIGURED': 500,
  'WEBHOOK.BAD_SIGNATURE': 401,
  'WEBHOOK.STALE': 401,
  'WEBHOOK.MALFORMED': 400,
  'WEBHOOK.UNKNOWN_CONNECTION': 404,
  'STORE.UNAVAILABLE': 503,
  'STORE.MIGRATION': 503,
  'QUEUE.UNAVAILABLE': 503,
  'REQUEST.INVALID': 400,
  NOT_FOUND: 404,
  UNAUTHORIZED: 401,
};

function statusOf(code: ErrorCode): number {
  const listed = STATUS_BY_CODE[code];
  if (listed !== undefined) return listed;
  if (code.startsWith('CRM.')) return 502;
  if (code.startsWith('QUEUE.') || code.startsWith('STORE.')) return 503;
  return 500;
}

/**
 * A request the schema let through but the route refuses (a cursor it did not issue, a reversed
 * range): 400, and the message starts with the field, as schema validation's do (`querystring/from ...`).
 */
export class InvalidRequestError extends DealwatchError {
  readonly field: string;
  constructor(part: 'querystring' | 'params' | 'body', field: string, problem: string) {
    super('REQUEST.INVALID', `${part}/${field} ${problem}`);
    this.field = field;
  }
}

/** Body of every error answer of the JSON API. */
export interface ErrorBody {
  error: { code: string; message: string };
  requestId: string;
}

export interface HttpErrorView {
  status: number;
  code: string;
  /** Safe to show: 5xx answers never carry the underlying message. */
  message: string;
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
  validation?: unknown;
}

/** Maps any thrown value to status, code and a message that is safe to return. */
export function toHttpError(error: unknown): HttpErrorView {
  if (error instanceof WebhookError) return { status: error.httpStatus, code: error.code, message: error.message };
  if (error instanceof DealwatchError) {
    const status = statusOf(error.code);
    return { status, code: error.code, message: status >= 500 ? 'the service cannot answer now; retry later' : error.message };
  }
  const e = (error ?? {}) as FastifyLikeError;
  const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500;
  if (status >= 500) return { status, code: 'INTERNAL', message: 'internal error' };
  if (status === 413) return { status, code: 'REQUEST.TOO_LARGE', message: 'request body too large' };
  if (status === 429) return { status, code: 'REQUEST.RATE_LIMITED', message: e.message ?? 'too many requests' };
  if (e.validation !== undefined || e.code === 'FST_ERR_VALIDATION') {
    return { status, code: 'REQUEST.INVALID', message: e.message ?? 'invalid request' };
  }
  return { status, code: e.code?.startsWith('FST_') ? 'REQUEST.INVALID' : (e.code ?? 'REQUEST.INVALID'), message: namingThePart(e) };
}

/** Fastify's own refusals say what is wrong but not where; the answer names the part of the request. */
function namingThePart(e: FastifyLikeError): string {
  const message = e.message ?? 'bad request';
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return `headers/content-type ${message}`;
  if (e.code?.startsWith('FST_ERR_CTP_') === true) return `body ${message}`;
  return message;
}

/**
 * Fastify refuses some URLs before any route or error handler runs (bad percent-encoding, a path
 * segment over its length limit); these answer in the same shape, naming the path, never echoing it.
 */
export function frameworkErrorView(error: { code?: string; statusCode?: number }): HttpErrorView {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return { status: 414, code: 'REQUEST.INVALID', message: 'params a path segment is too long' };
  if (error.code === 'FST_ERR_BAD_URL')
    return { status: 400, code: 'REQUEST.INVALID', message: 'params the path is not a valid URL (bad percent-encoding)' };
  return toHttpError(error);
}

/** Stable reason label for rejected webhooks (metrics, logs). */
export function rejectionReason(view: HttpErrorView): string {
  if (view.status === 413) return 'too_large';
  if (view.status === 429) return 'rate_limited';
  if (view.status === 415) return 'unsupported_media_type';
  if (view.status >= 500) return 'unavailable';
  return view.code
    .toLowerCase()
    .replace(/^webhook\./, '')
    .replace(/[^a-z0-9]+/g, '_');
}
