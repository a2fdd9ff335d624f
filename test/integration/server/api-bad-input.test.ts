/**
 * Bad cursors and bad ranges over HTTP against the running server: a cursor the client made up,
 * altered or carried to another query is 400 naming `cursor` (it was a 500); a reversed or
 * oversized `changes` range is 400 naming the field (it was a 200 with a nonsense report).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server/server.js';
import { postgresAvailable, redisAvailable } from '../../support/services.js';
import { API_TOKEN } from './support/app.js';
import { openSeededApi, type SeededApi } from './support/seeded-api.js';

const ok = (await redisAvailable()) && (await postgresAvailable());
const auth = { authorization: `Bearer ${API_TOKEN}` };

describe.skipIf(!ok)('bad cursors and ranges over HTTP', () => {
  let api: SeededApi;
  let server: RunningServer;
  const deals = () => `${server.url}/api/v1/connections/hs-main/deals`;
  const get = async (url: string) => {
    const res = await fetch(url, { headers: auth });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const refused = async (url: string, field: string) => {
    const { status, body } = await get(url);
    expect(status, `${url} ${JSON.stringify(body)}`).toBe(400);
    expect(body.error.code).toBe('REQUEST.INVALID');
    expect(body.error.message).toMatch(new RegExp(`^querystring/${field} `));
    return body.error.message as string;
  };

  beforeAll(async () => {
    api = await openSeededApi();
    server = await startServer(api.t.deps, { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await api?.close();
  });

  it('pages with the cursors it issued, and refuses made-up, altered and borrowed ones with 400', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Record<string, any> = (await get(`${deals()}?limit=10${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`))
        .body;
      seen.push(...page.items.map((i: { deal: { externalId: string } }) => i.deal.externalId));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(new Set(seen)).toEqual(new Set(api.seeded.openDealIds));
    expect(seen).toHaveLength(api.seeded.openDealIds.length);

    const first = (await get(`${deals()}?limit=5&owner=u1`)).body;
    const issued: string = first.nextCursor;
    expect(issued).toMatch(/^v1\./);
    // the same sequence with another page size is still the same query
    expect((await get(`${deals()}?limit=7&owner=u1&cursor=${encodeURIComponent(issued)}`)).status).toBe(200);

    const position = issued.split('.')[1]!;
    const flipped = `${issued.slice(0, -1)}${issued.endsWith('A') ? 'B' : 'A'}`;
    const forged = `v1.${Buffer.from(JSON.stringify(['Deal 0', '10000'])).toString('base64url')}.${issued.split('.')[2]}`;
    for (const bad of ['garbage', position, flipped, forged, `v2.${position}.${issued.split('.')[2]}`, 'v1..', '%00', 'x'.repeat(8000)]) {
      const message = await refused(`${deals()}?owner=u1&cursor=${encodeURIComponent(bad)}`, 'cursor');
      expect(message).not.toContain(bad.slice(0, 40));
    }
    // borrowed: another filter, another connection
    await refused(`${deals()}?owner=u2&cursor=${encodeURIComponent(issued)}`, 'cursor');
    await refused(`${deals()}?cursor=${encodeURIComponent(issued)}`, 'cursor');
    await refused(`${server.url}/api/v1/connections/sf-main/deals?owner=u1&cursor=${encodeURIComponent(issued)}`, 'cursor');
    expect(await api.t.totalJobs()).toBe(0);
  });

  it('refuses a NUL character in a path or query value with 400 naming it (the database cannot hold one; it was a 500)', async () => {
    for (const [url, field] of [
      [`${deals()}/%00`, 'params/dealId'],
      [`${deals()}?owner=a%00b`, 'querystring/owner'],
      [`${server.url}/api/v1/connections/hs%00/review`, 'params/id'],
    ] as const) {
      const { status, body } = await get(url);
      expect(status, `${url} ${JSON.stringify(body)}`).toBe(400);
      expect(body.error.message).toMatch(new RegExp(`^${field.replace('/', '\\/')} `));
    }
  });

  it('refuses a reversed range and a range over three years with 400; accepts exactly three years', async () => {
    const changes = `${server.url}/api/v1/connections/hs-main/changes`;
    expect(await refused(`${changes}?from=2027-01-01&to=2020-01-01`, 'from')).toContain('on or before to (2020-01-01)');
    expect(await refused(`${changes}?from=0001-01-01&to=9999-12-31`, 'from')).toContain('at most 1096 days');
    // one side given: the other is today (2026-11-26 in the connection's time zone) or 7 days before
    await refused(`${changes}?from=2026-11-27`, 'from');
    await refused(`${changes}?from=2020-01-01`, 'from');
    await refused(`${changes}?to=2026-11-18&from=2026-11-19`, 'from');
    await refused(`${changes}?to=0001-01-05&from=9999-01-01`, 'from');
    const exact = await get(`${changes}?from=2023-11-26&to=2026-11-26`);
    expect(exact.status, JSON.stringify(exact.body)).toBe(200);
    expect(exact.body).toMatchObject({ fromDay: '2023-11-26', toDay: '2026-11-26' });
    await refused(`${changes}?from=2023-11-25&to=2026-11-26`, 'from');
    const defaults = await get(changes);
    expect(defaults.body).toMatchObject({ fromDay: '2026-11-19', toDay: '2026-11-26' });
    const oneDay = await get(`${changes}?from=2026-11-26&to=2026-11-26`);
    expect(oneDay.status).toBe(200);
    // the cap is documented where clients look: the OpenAPI document
    const doc = (await (await fetch(`${server.url}/docs/json`)).json()) as {
      paths: Record<string, { get: { summary: string; parameters: { name: string; description?: string }[] } }>;
    };
    const operation = doc.paths['/api/v1/connections/{id}/changes']!.get;
    expect(operation.summary).toContain('3 years');
    expect(operation.parameters.find((p) => p.name === 'from')?.description).toContain('1096 days');
  });
});
