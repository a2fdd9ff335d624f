import { describe, expect, it } from 'vitest';
import { changedSince, likeFragment, lowerBound, quote, soqlDateTime } from '../../../../connectors/salesforce/soql.js';
import { endpointOf } from '../../../../connectors/salesforce/client.js';
import { minCursor, maxCursor, unflatten } from '../../../../connectors/salesforce/reader.js';
import { classifyResponse, toCrmError } from '../../../../connectors/salesforce/errors.js';
import { parseRetryAfter } from '../../../../connectors/shared/retry.js';
import { jwtAudience } from '../../../../connectors/salesforce/jwt.js';

describe('salesforce SOQL text', () => {
  it('quotes literals and LIKE fragments', () => {
    expect(quote("O'Brien \\ co")).toBe("'O\\'Brien \\\\ co'");
    expect(likeFragment('50%_off')).toBe('50\\%\\_off');
  });

  it('floors datetimes to the second and subtracts the look-back', () => {
    expect(soqlDateTime('2026-11-20T10:05:59.999Z')).toBe('2026-11-20T10:05:59Z');
    expect(lowerBound({ stamp: '2026-11-20T10:05:00.000Z', id: 'x' }, 10)).toBe('2026-11-20T09:55:00.000Z');
    expect(lowerBound(null, 10)).toBeNull();
    expect(changedSince('Task', ['Id'], 'SystemModstamp', '2026-11-20T09:55:00.000Z', 'IsClosed = false')).toBe(
      'SELECT Id FROM Task WHERE SystemModstamp >= 2026-11-20T09:55:00Z AND IsClosed = false ORDER BY SystemModstamp, Id',
    );
  });

  it('names endpoints without ids or versions', () => {
    expect(endpointOf('https://x.my.salesforce.com/services/data/v62.0/query/01gRO0000016PIAYA2-2000')).toBe('query/:id');
    expect(endpointOf('https://x/services/data/v62.0/queryAll?q=SELECT+Id')).toBe('queryAll');
    expect(endpointOf('https://x/services/data/v62.0/jobs/query/750RO00000Job01YAA/results')).toBe('jobs/query/:id/results');
    expect(endpointOf('https://x/services/data/v62.0/sobjects/Opportunity/describe')).toBe('sobjects/Opportunity/describe');
  });

  it('orders cursors by (stamp, id)', () => {
    const a = { stamp: '2026-11-20T10:00:00.000Z', id: 'B' };
    const b = { stamp: '2026-11-20T10:00:00.000Z', id: 'C' };
    expect(minCursor(a, b)).toBe(a);
    expect(maxCursor(a, b)).toBe(b);
    expect(maxCursor(null, a)).toBe(a);
  });

  it('nests dotted Bulk CSV columns', () => {
    expect(unflatten({ Id: '1', 'Account.Name': 'Acme', 'Owner.Manager.Name': 'M' })).toEqual({
      Id: '1',
      Account: { Name: 'Acme' },
      Owner: { Manager: { Name: 'M' } },
    });
  });
});

describe('salesforce error classification', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 12:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('classifies answers jsforce must not see and leaves 401 and ordinary 4xx to it', () => {
    expect(classifyResponse(429, {}, '', now)).toMatchObject({ code: 'CRM.RATE_LIMITED', retryable: true, retryAfterMs: null });
    expect(classifyResponse(503, { 'retry-after': '2' }, '', now)).toMatchObject({ code: 'CRM.TRANSIENT', retryAfterMs: 2000 });
    expect(classifyResponse(403, {}, '[{"errorCode":"REQUEST_LIMIT_EXCEEDED"}]', now)).toMatchObject({
      code: 'CRM.QUOTA_EXCEEDED',
      retryable: false,
    });
    expect(classifyResponse(403, {}, '[{"errorCode":"INSUFFICIENT_ACCESS"}]', now)).toBeNull();
    expect(classifyResponse(401, {}, '', now)).toBeNull();
    expect(classifyResponse(400, {}, '', now)).toBeNull();
  });

  it('maps jsforce errors to codes', () => {
    expect(toCrmError(Object.assign(new Error('bad'), { name: 'INVALID_FIELD', errorCode: 'INVALID_FIELD' }))).toMatchObject({
      code: 'CRM.MISCONFIGURED',
    });
    expect(toCrmError(Object.assign(new Error('x'), { name: 'MALFORMED_QUERY', errorCode: 'MALFORMED_QUERY' }))).toMatchObject({
      code: 'CRM.BAD_REQUEST',
      retryable: false,
    });
    expect(toCrmError(Object.assign(new Error('gone'), { name: 'NOT_FOUND', errorCode: 'NOT_FOUND' }))).toMatchObject({
      code: 'CRM.NOT_FOUND',
    });
  });
});

describe('salesforce JWT audience', () => {
  it('is the login server, not the My Domain host the token is requested from', () => {
    expect(jwtAudience('https://login.salesforce.com')).toBe('https://login.salesforce.com');
    expect(jwtAudience('https://test.salesforce.com/')).toBe('https://test.salesforce.com');
    expect(jwtAudience('https://acme.my.salesforce.com')).toBe('https://login.salesforce.com');
    expect(jwtAudience('https://acme--uat.sandbox.my.salesforce.com')).toBe('https://test.salesforce.com');
    expect(jwtAudience('https://acme.my.site.com')).toBe('https://acme.my.site.com');
  });
});
