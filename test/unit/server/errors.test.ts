import { describe, expect, it } from 'vitest';
import { DealwatchError, WebhookError } from '../../../src/domain/errors.js';
import { rejectionReason, toHttpError } from '../../../src/server/errors.js';
import { WebhookRejection } from '../../../src/server/webhooks/rejection.js';

describe('toHttpError', () => {
  it('maps coded errors to their status', () => {
    expect(toHttpError(new DealwatchError('UNAUTHORIZED', 'no token'))).toEqual({ status: 401, code: 'UNAUTHORIZED', message: 'no token' });
    expect(toHttpError(new DealwatchError('NOT_FOUND', 'no deal'))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(toHttpError(new WebhookError('WEBHOOK.MALFORMED', 'bad', 400))).toMatchObject({ status: 400, code: 'WEBHOOK.MALFORMED' });
    expect(toHttpError(new WebhookRejection('stale_timestamp', 'old'))).toMatchObject({ status: 401, code: 'WEBHOOK.STALE' });
    expect(toHttpError(new WebhookRejection('wrong_org', 'org'))).toMatchObject({ status: 401, code: 'WEBHOOK.BAD_SIGNATURE' });
  });

  it('hides the details of 5xx answers', () => {
    const queue = toHttpError(new DealwatchError('QUEUE.UNAVAILABLE', 'redis at 10.0.0.5:6379 refused'));
    expect(queue.status).toBe(503);
    expect(queue.message).not.toContain('10.0.0.5');
    const bug = toHttpError(new TypeError('cannot read x of undefined at /srv/app.js'));
    expect(bug).toEqual({ status: 500, code: 'INTERNAL', message: 'internal error' });
    const crm = toHttpError(new DealwatchError('CRM.TRANSIENT', 'upstream said secret things'));
    expect(crm.status).toBe(502);
    expect(crm.message).not.toContain('secret');
  });

  it('keeps fastify client errors (413, 429, validation)', () => {
    expect(toHttpError({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: 'x' })).toMatchObject({
      status: 413,
      code: 'REQUEST.TOO_LARGE',
    });
    expect(toHttpError({ statusCode: 429, message: 'slow down' })).toMatchObject({ status: 429, code: 'REQUEST.RATE_LIMITED' });
    expect(toHttpError({ statusCode: 400, validation: [], message: 'querystring/limit too big' })).toMatchObject({
      status: 400,
      code: 'REQUEST.INVALID',
    });
  });

  it('labels rejections for metrics', () => {
    expect(rejectionReason({ status: 413, code: 'REQUEST.TOO_LARGE', message: '' })).toBe('too_large');
    expect(rejectionReason({ status: 400, code: 'WEBHOOK.MALFORMED', message: '' })).toBe('malformed');
    expect(rejectionReason({ status: 503, code: 'QUEUE.UNAVAILABLE', message: '' })).toBe('unavailable');
  });
});
