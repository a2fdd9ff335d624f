/** Run-time fault injection: kinds, scoping, reproducibility, and the admin HTTP surface. */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';

const NOW = new Date('2026-11-26T12:00:00Z');
const opened: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
async function open(options: Parameters<typeof startSandbox>[0] = {}): Promise<Sandbox> {
  const sb = await startSandbox({ deals: 20, seed: 4, now: NOW, rateLimit: false, ...options });
  opened.push(sb);
  return sb;
}
const hubspot = (sb: Sandbox, path = '/crm/v3/objects/deals') =>
  fetch(`${sb.hubspot.baseUrl}${path}`, { headers: { authorization: `Bearer ${sb.hubspot.accessToken}` } });
const salesforce = (sb: Sandbox, path = '/services/data/v59.0/limits') =>
  fetch(`${sb.salesforce.instanceUrl}${path}`, { headers: { authorization: `Bearer ${sb.salesforce.accessToken}` } });

describe('fault injection', () => {
  it('answers 503 for a scoped fault and leaves other endpoints and providers alone', async () => {
    const sb = await open({ faults: '503:1@hubspot~/crm/v3/objects/deals' });
    const hit = await hubspot(sb);
    expect(hit.status).toBe(503);
    expect(await hit.json()).toMatchObject({ status: 'error', category: 'SERVICE_UNAVAILABLE' });
    expect((await hubspot(sb, '/crm/v3/owners')).status).toBe(200);
    expect((await salesforce(sb)).status).toBe(200);
    expect(sb.state.calls.filter((c) => c.fault === '503')).toHaveLength(1);
  });

  it('drops the connection, expires a token once, and adds latency', async () => {
    const sb = await open();
    sb.injectFaults([{ kind: 'drop', rate: 1, provider: 'hubspot' }]);
    await expect(hubspot(sb)).rejects.toThrow();
    sb.injectFaults([{ kind: 'expired_token', rate: 1, provider: 'salesforce' }]);
    const expired = await salesforce(sb);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    sb.injectFaults([{ kind: 'latency', rate: 1, latencyMs: 150 }]);
    const started = Date.now();
    expect((await salesforce(sb)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('gives the same fault sequence for the same seed', async () => {
    const statuses = async (sb: Sandbox) => {
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await hubspot(sb)).status);
      return out;
    };
    const a = await statuses(await open({ faults: '429:0.3,500:0.2' }));
    const b = await statuses(await open({ faults: '429:0.3,500:0.2' }));
    expect(a).toEqual(b);
    expect(new Set(a)).toEqual(new Set([200, 429, 500]));
    const c = await statuses(await open({ faults: '429:0.3,500:0.2', seed: 5 }));
    expect(c).not.toEqual(a);
  });

  it('is driven over HTTP by the admin surface, which also reports calls and counters', async () => {
    const sb = await open();
    const put = await fetch(`${sb.adminUrl}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spec: '429:1@hubspot' }),
    });
    expect(await put.json()).toEqual([{ kind: '429', rate: 1, provider: 'hubspot' }]);
    const limited = await hubspot(sb);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ policyName: 'TEN_SECONDLY_ROLLING', errorType: 'RATE_LIMIT' });
    const bad = await fetch(`${sb.adminUrl}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spec: 'explode:2' }),
    });
    expect(bad.status).toBe(400);
    await fetch(`${sb.adminUrl}/faults`, { method: 'DELETE' });
    expect((await hubspot(sb)).status).toBe(200);
    const calls = (await (await fetch(`${sb.adminUrl}/calls?provider=hubspot`)).json()) as {
      calls: { status: number; endpoint: string }[];
    };
    expect(calls.calls.map((c) => c.status)).toEqual([429, 200]);
    const counters = (await (await fetch(`${sb.adminUrl}/counters`)).json()) as Record<string, number>;
    expect(counters['hubspot GET /hubspot/crm/v3/objects/:objectType']).toBe(2);
  });

  it('keeps at most 10 query cursors open, dropping the least recently used', async () => {
    const sb = await open({ deals: 300 });
    const openCursor = async () =>
      (
        (await (
          await fetch(`${sb.salesforce.instanceUrl}/services/data/v59.0/query?q=SELECT+Id+FROM+Task`, {
            headers: { authorization: `Bearer ${sb.salesforce.accessToken}`, 'sforce-query-options': 'batchSize=200' },
          })
        ).json()) as { nextRecordsUrl: string }
      ).nextRecordsUrl;
    const first = await openCursor();
    for (let i = 0; i < 10; i++) await openCursor();
    const gone = await salesforce(sb, first);
    expect(gone.status).toBe(400);
    expect(await gone.json()).toEqual([{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }]);
    expect((await salesforce(sb, await openCursor())).status).toBe(200);
  });

  it('moves the clock, which expires Salesforce sessions and query cursors', async () => {
    const sb = await open({ deals: 300, salesforce: { tokenTtlMs: 3_600_000 } });
    const first = (await (
      await fetch(`${sb.salesforce.instanceUrl}/services/data/v59.0/query?q=SELECT+Id+FROM+Task`, {
        headers: { authorization: `Bearer ${sb.salesforce.accessToken}`, 'sforce-query-options': 'batchSize=200' },
      })
    ).json()) as { nextRecordsUrl: string };
    await fetch(`${sb.adminUrl}/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advanceMs: 16 * 60_000 }),
    });
    const stale = await salesforce(sb, first.nextRecordsUrl);
    expect(stale.status).toBe(400);
    expect(await stale.json()).toEqual([{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }]);
    sb.advance(3_600_000);
    expect((await salesforce(sb)).status).toBe(401);
  });
});
