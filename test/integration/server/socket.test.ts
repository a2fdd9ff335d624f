/** The server on a real socket: webhooks, API and health over HTTP, then a graceful close. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server/server.js';
import { redisAvailable } from '../../support/services.js';
import { API_TOKEN, buildTestApp, HUBSPOT_SECRET, type TestApp } from './support/app.js';
import { hubspotEvent, hubspotV3Headers } from './support/signing.js';

const ok = await redisAvailable();

describe.skipIf(!ok)('server over a socket', () => {
  let t: TestApp;
  let server: RunningServer;
  beforeAll(async () => {
    t = await buildTestApp();
    // The socket server's public URL is its own address: HubSpot signs the URL it called.
    server = await startServer(
      { ...t.deps, options: { ...t.deps.options, publicUrl: 'http://127.0.0.1:0' } },
      { host: '127.0.0.1', port: 0 },
    );
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  it('accepts a signed webhook, answers health and API calls, and refuses a tampered one', async () => {
    // publicUrl is fixed at build time; sign for what the app will reconstruct.
    const publicUrl = 'http://127.0.0.1:0';
    const body = JSON.stringify([hubspotEvent()]);
    const headers = hubspotV3Headers({
      secret: HUBSPOT_SECRET,
      decodedUri: `${publicUrl}/webhooks/hubspot`,
      body,
      timestampMs: Date.now(),
    });
    const accepted = await fetch(`${server.url}/webhooks/hubspot`, { method: 'POST', headers, body });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ accepted: 1, duplicates: 0, ignored: 0 });
    const tampered = await fetch(`${server.url}/webhooks/hubspot`, {
      method: 'POST',
      headers,
      body: body.replace('contractsent', 'closedlost'),
    });
    expect(tampered.status).toBe(401);
    expect(await t.queues.queue('events').count()).toBe(1);

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: [{ name: 'queue', ok: true }] });
    expect((await fetch(`${server.url}/api/v1/jobs/x`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/v1/jobs/x`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).status).toBe(404);
  });

  it('answers a large body with 413 before reading it all', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const res = await fetch(`${server.url}/webhooks/hubspot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(res.status).toBe(413);
  });

  it('reports the failing dependency in /readyz with 503', async () => {
    const failing = await startServer(
      {
        ...t.deps,
        readiness: [...t.deps.readiness, { name: 'database', check: async () => Promise.reject(new Error('connection refused')) }],
      },
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const res = await fetch(`${failing.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: 'unavailable',
        checks: [
          { name: 'queue', ok: true },
          { name: 'database', ok: false, error: 'connection refused' },
        ],
      });
    } finally {
      await failing.close();
    }
  });
});
