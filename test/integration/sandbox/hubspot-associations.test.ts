/**
 * Associations and companies through `@hubspot/api-client`: activity lists with deals inline,
 * deals with their primary company inline (labelled and unlabeled, as HubSpot reports it), inline
 * associations paged at 100, companies list / batch read, and v4 deal -> company batch reads.
 */
import { Client } from '@hubspot/api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';

const NOW = new Date('2026-11-26T12:00:00Z');
let sandbox: Sandbox;
let client: Client;

beforeAll(async () => {
  sandbox = await startSandbox({ deals: 60, seed: 17, now: NOW, rateLimit: false });
  client = new Client({ accessToken: sandbox.hubspot.accessToken, basePath: sandbox.hubspot.baseUrl, numberOfApiCallRetries: 0 });
});
afterAll(async () => {
  await sandbox.close();
});

const book = () => sandbox.state.hubspot;
const ACTIVITY_TYPES = [
  ['calls', 'call'],
  ['emails', 'email'],
  ['meetings', 'meeting'],
  ['notes', 'note'],
  ['tasks', 'task'],
] as const;

type Page = {
  results: { id: string; associations?: Record<string, { results: { id: string; type: string }[] }> }[];
  paging?: { next?: { after: string } };
};
type ListApi = {
  getPage(limit?: number, after?: string, properties?: string[], withHistory?: string[], associations?: string[]): Promise<Page>;
};

describe('v3 lists with associations inline', () => {
  it.each(ACTIVITY_TYPES)("GET /crm/v3/objects/%s?associations=deals carries each record's deal, as <type>_to_deal", async (type, kind) => {
    const api = client.crm.objects[type].basicApi as unknown as ListApi;
    const got = new Map<string, { id: string; type: string }[] | undefined>();
    let after: string | undefined;
    do {
      const page = await api.getPage(100, after, ['hs_timestamp'], undefined, ['deals']);
      for (const r of page.results) got.set(r.id, r.associations?.['deals']?.results);
      after = page.paging?.next?.after;
    } while (after);
    const expected = book().activities.filter((a) => a.kind === kind && !a.deleted);
    expect([...got.keys()].sort()).toEqual(expected.map((a) => a.id).sort());
    for (const a of expected) {
      const deal = book().deals[a.deal]!;
      // an activity of a deleted (archived) deal has no live association, so no `deals` key
      expect(got.get(a.id)).toEqual(deal.deleted ? undefined : [{ id: deal.id, type: `${kind}_to_deal` }]);
    }
  });

  it('lists deals with associations=companies: the primary company, labelled and unlabeled', async () => {
    const seen = new Map<string, unknown>();
    let after: string | undefined;
    do {
      const page = await client.crm.deals.basicApi.getPage(100, after, ['dealname'], undefined, ['companies']);
      for (const r of page.results) seen.set(r.id, r.associations?.['companies']);
      after = page.paging?.next?.after;
    } while (after);
    const live = book().deals.filter((d) => !d.deleted);
    expect(seen.size).toBe(live.length);
    for (const d of live) {
      const company = book().accounts[d.account]!.id;
      expect(seen.get(d.id)).toEqual({
        results: [
          { id: company, type: 'deal_to_company' },
          { id: company, type: 'deal_to_company_unlabeled' },
        ],
      });
    }
  });

  it('pages inline associations at 100 per type; paging.next.link lists the rest', async () => {
    const deal = book().deals.find((d) => !d.deleted)!;
    for (let i = 0; i < 120; i++) sandbox.addActivity('hubspot', deal.id, { kind: 'call', direction: 'outbound' });
    const expected = book()
      .activities.filter((a) => a.kind === 'call' && !a.deleted && book().deals[a.deal]!.id === deal.id)
      .map((a) => a.id);
    expect(expected.length).toBeGreaterThanOrEqual(120);

    const got = await client.crm.deals.basicApi.getById(deal.id, ['dealname'], undefined, ['calls', 'companies']);
    const calls = got.associations!['calls']!;
    expect(calls.results).toHaveLength(100);
    expect(calls.results.every((r) => r.type === 'deal_to_call')).toBe(true);
    expect(got.associations!['companies']!.paging).toBeUndefined();
    const ids = calls.results.map((r) => r.id);
    let link = calls.paging?.next?.link;
    expect(link).toMatch(new RegExp(`/crm/v3/objects/deals/${deal.id}/associations/calls\\?after=`));
    while (link) {
      const res = await fetch(link, { headers: { authorization: `Bearer ${sandbox.hubspot.accessToken}` } });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { results: { id: string; type: string }[]; paging?: { next?: { link: string } } };
      ids.push(...page.results.map((r) => r.id));
      link = page.paging?.next?.link;
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(expected.sort());
  });
});

describe('HubSpot companies', () => {
  it('pages through every company with crm.companies.basicApi.getPage', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await client.crm.companies.basicApi.getPage(5, after, ['name', 'domain']);
      seen.push(...page.results.map((r) => r.id));
      for (const r of page.results) expect(r.properties['name']).toBe(book().accounts.find((a) => a.id === r.id)!.name);
      after = page.paging?.next?.after;
    } while (after);
    expect(seen).toEqual(book().accounts.map((a) => a.id));
  });

  it('batch-reads 100 companies (name, domain) with crm.companies.batchApi.read; unknown ids give 207', async () => {
    expect(book().accounts.length).toBeLessThan(100);
    const ids = book().accounts.map((a) => a.id);
    const inputs = Array.from({ length: 100 }, (_, i) => ({ id: ids[i % ids.length]! }));
    const res = await client.crm.companies.batchApi.read({ inputs, properties: ['name', 'domain'], propertiesWithHistory: [] });
    expect(res.status).toBe('COMPLETE');
    expect(res.results).toHaveLength(100);
    for (const r of res.results) {
      const account = book().accounts.find((a) => a.id === r.id)!;
      expect(r.properties).toMatchObject({
        name: account.name,
        domain: expect.stringMatching(/^[a-z0-9]+\.com$/),
        hs_object_id: account.id,
      });
      expect(r.createdAt).toBeInstanceOf(Date);
    }
    const partial = await client.crm.companies.batchApi.read({
      inputs: [{ id: ids[0]! }, { id: '999' }],
      properties: ['name'],
      propertiesWithHistory: [],
    });
    expect(partial.results.map((r) => r.id)).toEqual([ids[0]]);
    expect((partial as { errors?: { category: string; context: { ids: string[] } }[] }).errors).toEqual([
      expect.objectContaining({ category: 'OBJECT_NOT_FOUND', context: { ids: ['999'] } }),
    ]);
    await expect(
      client.crm.companies.batchApi.read({
        inputs: Array.from({ length: 101 }, () => ({ id: ids[0]! })),
        properties: ['name'],
        propertiesWithHistory: [],
      }),
    ).rejects.toMatchObject({ code: 400 });
  });

  it('reads deal -> company through v4 batch read: one primary company (5 Primary + 341 unlabeled) per deal', async () => {
    const live = book().deals.filter((d) => !d.deleted);
    const res = await client.crm.associations.v4.batchApi.getPage('deals', 'companies', { inputs: live.map((d) => ({ id: d.id })) });
    expect(res.results).toHaveLength(live.length);
    for (const row of res.results) {
      const deal = live.find((d) => d.id === row._from.id)!;
      expect(row.to).toHaveLength(1);
      expect(String(row.to[0]!.toObjectId)).toBe(book().accounts[deal.account]!.id);
      expect(row.to[0]!.associationTypes).toEqual([
        { category: 'HUBSPOT_DEFINED', typeId: 5, label: 'Primary' },
        { category: 'HUBSPOT_DEFINED', typeId: 341, label: null },
      ]);
    }
  });

  it("lists a company's deals inline with associations=deals", async () => {
    const account = book().accounts[0]!;
    const got = await client.crm.companies.basicApi.getById(account.id, ['name', 'num_associated_deals'], undefined, ['deals']);
    const expected = book()
      .deals.filter((d) => !d.deleted && d.account === 0)
      .map((d) => d.id);
    const primary = got.associations!['deals']!.results.filter((r) => r.type === 'company_to_deal').map((r) => r.id);
    expect(primary.sort()).toEqual(expected.sort());
    expect(got.properties['num_associated_deals']).toBe(String(expected.length));
  });
});
