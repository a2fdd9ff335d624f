/** Log lines carry request ids and never a body, a token or a secret path segment. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable } from '../../support/services.js';
import { createLogger } from '../../../src/logger.js';
import { API_TOKEN, buildTestApp, SF_ORG, SF_TOKEN, type TestApp } from './support/app.js';
import { hubspotEvent, hubspotV3Headers, outboundMessage } from './support/signing.js';

const ok = await redisAvailable();

describe.skipIf(!ok)('request logging', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ logger: createLogger({ level: 'info', destination: sink, pretty: false }) as pino.Logger });
  });
  afterAll(async () => t?.close());

  it('logs the request with its id, without body, token or secret segment', async () => {
    const body = outboundMessage({
      organizationId: SF_ORG,
      notifications: [
        { id: '04l5g0000SECRETBODY', opportunityId: '0065g000001', stage: 'Closed Won', modstamp: '2026-11-26T08:00:00.000Z' },
      ],
    });
    const res = await t.app.inject({
      method: 'POST',
      url: `/webhooks/salesforce/sf-main/${SF_TOKEN}`,
      headers: { 'content-type': 'text/xml', 'x-request-id': 'req-abc-123' },
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('req-abc-123');
    await t.app.inject({ method: 'GET', url: '/api/v1/connections/nope/review', headers: { authorization: `Bearer ${API_TOKEN}` } });
    const refusedBody = JSON.stringify([hubspotEvent({ propertyValue: 'REFUSEDBODY' })]);
    const refusedHeaders = hubspotV3Headers({
      secret: 'wrong-secret',
      decodedUri: 'https://dealwatch.example.com/webhooks/hubspot',
      body: refusedBody,
      timestampMs: Date.now(),
    });
    const refused = await t.app.inject({
      method: 'POST',
      url: '/webhooks/hubspot',
      headers: { ...refusedHeaders, 'x-request-id': 'req-refused-1' },
      payload: refusedBody,
    });
    expect(refused.statusCode).toBe(401);
    const signature = refusedHeaders['x-hubspot-signature-v3']!;
    await new Promise((r) => setTimeout(r, 50));
    const all = lines.join('\n');
    expect(all).toContain('req-abc-123');
    expect(all).toContain('/webhooks/salesforce/sf-main/[redacted]');
    expect(all).not.toContain(SF_TOKEN);
    expect(all).not.toContain(API_TOKEN);
    expect(all).not.toContain('SECRETBODY');
    expect(all).not.toContain('Closed Won');
    const refusal = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.reqId === 'req-refused-1' && l.msg === 'webhook refused');
    expect(refusal).toMatchObject({ provider: 'hubspot', reason: 'bad_signature', status: 401 });
    expect(all).not.toContain('REFUSEDBODY');
    expect(all).not.toContain(signature);
  });
});
