/**
 * The official HubSpot client (`@hubspot/api-client`) against the sandbox over HTTP: every read
 * returns exactly the generator's records (none missing, none duplicated across pages), writes
 * land as annotations, and errors come back in HubSpot's shapes.
 */
import { Client } from '@hubspot/api-client';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/deals/models/Filter.js';
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/notes/models/AssociationSpec.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';

const NOW = new Date('2026-11-26T12:00:00Z');
let sandbox: Sandbox;
let client: Client;

beforeAll(async () => {
  sandbox = await startSandbox({ deals: 150, seed: 11, now: NOW, rateLimit: false });
  client = new Client({ accessToken: sandbox.hubspot.accessToken, basePath: sandbox.hubspot.baseUrl, numberOfApiCallRetries: 0 });
});
afterAll(async () => {
  await sandbox.close();
});

const liveDealIds = () => sandbox.state.hubspot.deals.filter((d) => !d.deleted).map((d) => d.id);

describe('HubSpot deals through @hubspot/api-client', () => {
  it('pages through every deal with basicApi.getPage, no record missing or duplicated', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await client.crm.deals.basicApi.getPage(100, after, ['dealname', 'dealstage', 'amount', 'hs_next_step']);
      seen.push(...page.results.map((r) => r.id));
      after = page.paging?.next?.after;
      pages++;
    } while (after);
    expect(pages).toBe(2);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual(liveDealIds().sort());
  });

  it('returns HubSpot-named properties as strings and dates the SDK parses', async () => {
    const deal = sandbox.state.hubspot.deals.find((d) => d.amount !== null && !d.deleted)!;
    const got = await client.crm.deals.basicApi.getById(deal.id, [
      'dealname',
      'amount',
      'closedate',
      'hs_is_closed',
      'num_associated_contacts',
      'discount_percent',
    ]);
    expect(got.properties['dealname']).toBe(deal.name);
    expect(got.properties['amount']).toBe(String(deal.amount));
    expect(got.properties['num_associated_contacts']).toBe(String(deal.contactIds.length));
    expect(got.createdAt).toBeInstanceOf(Date);
    expect(got.createdAt.getTime()).toBe(deal.createdAt);
    expect(got.properties['hs_object_id']).toBe(deal.id);
  });

  it('searches with filterGroups, 200 per page and the after cursor, matching the book exactly', async () => {
    const expected = sandbox.state.hubspot.deals
      .filter((d) => !d.deleted && sandbox.state.hubspot.pipelines[d.pipeline]!.stages[d.stage]!.isClosed === false)
      .map((d) => d.id);
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const res = await client.crm.deals.searchApi.doSearch({
        filterGroups: [{ filters: [{ propertyName: 'hs_is_closed', operator: FilterOperatorEnum.Eq, value: 'false' }] }],
        sorts: ['hs_object_id'],
        properties: ['dealname'],
        limit: 20,
        ...(after ? { after } : {}),
      });
      expect(res.total).toBe(expected.length);
      seen.push(...res.results.map((r) => r.id));
      after = res.paging?.next?.after;
    } while (after);
    expect(seen.sort()).toEqual(expected.sort());
  });

  it('filters hs_lastmodifieddate with ms-epoch strings (GTE/LT) and ORs filter groups', async () => {
    const deals = sandbox.state.hubspot.deals.filter((d) => !d.deleted);
    const cut = deals[10]!.modifiedAt;
    const res = await client.crm.deals.searchApi.doSearch({
      filterGroups: [
        { filters: [{ propertyName: 'hs_lastmodifieddate', operator: FilterOperatorEnum.Gte, value: String(cut) }] },
        { filters: [{ propertyName: 'dealstage', operator: FilterOperatorEnum.In, values: ['closedlost'] }] },
      ],
      limit: 200,
    });
    const stageId = (d: (typeof deals)[number]) => sandbox.state.hubspot.pipelines[d.pipeline]!.stages[d.stage]!.id;
    const expected = deals.filter((d) => d.modifiedAt >= cut || stageId(d) === 'closedlost').map((d) => d.id);
    expect(res.results.map((r) => r.id).sort()).toEqual(expected.sort());
  });

  it('returns dealstage history (newest first) with propertiesWithHistory on batch read', async () => {
    const book = sandbox.state.hubspot;
    const idx = book.deals.findIndex((d) => !d.deleted && book.pipelines[d.pipeline]!.stages[d.stage]!.isWon);
    const deal = book.deals[idx]!;
    const res = await client.crm.deals.batchApi.read({
      inputs: [{ id: deal.id }],
      properties: ['dealstage'],
      propertiesWithHistory: ['dealstage'],
    });
    const history = res.results[0]!.propertiesWithHistory!['dealstage']!;
    const stages = book.pipelines[deal.pipeline]!.stages;
    const expected = book.stageHistory
      .filter((h) => h.deal === idx)
      .map((h) => stages[h.stage]!.id)
      .filter((id, i, all) => i === 0 || all[i - 1] !== id);
    expect(history.map((h) => h.value)).toEqual([...expected].reverse());
    expect(history[0]!.value).toBe(stages[deal.stage]!.id);
    expect(history[0]!.timestamp).toBeInstanceOf(Date);
  });

  it('searches activities by the associations.deal pseudo-property and ranges (BETWEEN, NOT_IN, HAS_PROPERTY)', async () => {
    const book = sandbox.state.hubspot;
    const idx = book.deals.findIndex((d, i) => !d.deleted && book.activities.filter((a) => a.deal === i && a.kind === 'call').length >= 2);
    const deal = book.deals[idx]!;
    const calls = book.activities.filter((a) => a.deal === idx && a.kind === 'call' && !a.deleted);
    const byDeal = await client.crm.objects.searchApi.doSearch('calls', {
      filterGroups: [{ filters: [{ propertyName: 'associations.deal', operator: FilterOperatorEnum.Eq, value: deal.id }] }],
      limit: 200,
    });
    expect(byDeal.results.map((r) => r.id).sort()).toEqual(calls.map((a) => a.id).sort());
    const lo = Math.min(...calls.map((a) => a.at));
    const between = await client.crm.objects.searchApi.doSearch('calls', {
      filterGroups: [
        {
          filters: [
            { propertyName: 'associations.deal', operator: FilterOperatorEnum.Eq, value: deal.id },
            { propertyName: 'hs_timestamp', operator: FilterOperatorEnum.Between, value: String(lo), highValue: String(lo) },
            { propertyName: 'hs_call_direction', operator: FilterOperatorEnum.NotIn, values: ['NOT_A_DIRECTION'] },
            { propertyName: 'hs_call_title', operator: FilterOperatorEnum.HasProperty },
          ],
        },
      ],
      limit: 10,
    });
    expect(between.results.map((r) => r.id)).toEqual(calls.filter((a) => a.at === lo).map((a) => a.id));
  });

  it('keeps hs_date_entered_<stage> at the latest entry into the current stage, and matches free-text query on dealname', async () => {
    const book = sandbox.state.hubspot;
    const deal = book.deals.find((d) => !d.deleted)!;
    const stageId = book.pipelines[deal.pipeline]!.stages[deal.stage]!.id;
    const got = await client.crm.deals.basicApi.getById(deal.id, [`hs_date_entered_${stageId}`, 'hs_is_closed_won']);
    expect(got.properties[`hs_date_entered_${stageId}`]).toBe(new Date(deal.stageEnteredAt).toISOString());
    const word = deal.name.split(' - ')[1]!;
    const res = await client.crm.deals.searchApi.doSearch({ query: word, limit: 200 });
    expect(res.total).toBe(book.deals.filter((d) => !d.deleted && d.name.toLowerCase().includes(word.toLowerCase())).length);
  });

  it('answers 400 past the 10,000-result search cap', async () => {
    const err = await client.crm.deals.searchApi.doSearch({ after: '10000', limit: 10 }).catch((e: unknown) => e);
    expect((err as { code: number }).code).toBe(400);
    expect((err as { body: unknown }).body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
  });

  it('batch-updates deals (200) and reports partial failure as 207 with per-row errors', async () => {
    await client.crm.properties.coreApi.create('deals', {
      name: 'dealwatch_score',
      label: 'dealwatch score',
      type: 'number' as never,
      fieldType: 'number' as never,
      groupName: 'dealinformation',
    });
    const ids = liveDealIds().slice(0, 3);
    const ok = await client.crm.deals.batchApi.update({ inputs: ids.map((id) => ({ id, properties: { dealwatch_score: '42' } })) });
    expect(ok.results.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const id of ids) expect(sandbox.state.hubspot.deals.find((d) => d.id === id)!.custom?.['dealwatch_score']).toBe('42');
    const annotations = sandbox.state.annotations.filter((a) => a.provider === 'hubspot' && a.kind === 'field_update');
    expect(annotations.map((a) => a.dealId).sort()).toEqual([...ids].sort());

    const res = await fetch(`${sandbox.hubspot.baseUrl}/crm/v3/objects/deals/batch/update`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sandbox.hubspot.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          { id: ids[0], properties: { dealwatch_score: '7' } },
          { id: '999', properties: { dealwatch_score: '7' } },
        ],
      }),
    });
    expect(res.status).toBe(207);
    const body = (await res.json()) as { results: unknown[]; numErrors: number; errors: { category: string }[] };
    expect(body.results).toHaveLength(1);
    expect(body.numErrors).toBe(1);
    expect(body.errors[0]!.category).toBe('OBJECT_NOT_FOUND');
  });

  it('rejects a write to an unknown property with 400 VALIDATION_ERROR / PROPERTY_DOESNT_EXIST', async () => {
    const id = liveDealIds()[0]!;
    const err = (await client.crm.deals.basicApi.update(id, { properties: { no_such_property: 'x' } }).catch((e: unknown) => e)) as {
      code: number;
      body: { category: string; message: string };
    };
    expect(err.code).toBe(400);
    expect(err.body.category).toBe('VALIDATION_ERROR');
    expect(err.body.message).toContain('PROPERTY_DOESNT_EXIST');
  });

  it('creates a note on a deal (association type 214) and reads it back through v4 associations', async () => {
    const dealId = liveDealIds()[5]!;
    const note = await client.crm.objects.notes.basicApi.create({
      properties: { hs_timestamp: NOW.toISOString(), hs_note_body: 'dealwatch: no activity in 23 days' },
      associations: [
        {
          to: { id: dealId },
          types: [{ associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined, associationTypeId: 214 }],
        },
      ],
    });
    expect(note.id).toMatch(/^\d+$/);
    const assoc = await client.crm.associations.v4.batchApi.getPage('notes', 'deals', { inputs: [{ id: note.id }] });
    expect(assoc.results).toHaveLength(1);
    expect(String(assoc.results[0]!.to[0]!.toObjectId)).toBe(dealId);
    expect(assoc.results[0]!.to[0]!.associationTypes[0]!.typeId).toBe(214);
    const annotation = sandbox.state.annotations.find((a) => a.recordId === note.id);
    expect(annotation).toMatchObject({ provider: 'hubspot', kind: 'note', dealId });
  });

  it('reads deal -> calls associations for 1,000-input batches, equal to the book', async () => {
    const book = sandbox.state.hubspot;
    const ids = liveDealIds();
    const res = await client.crm.associations.v4.batchApi.getPage('deals', 'calls', { inputs: ids.map((id) => ({ id })) });
    const got = new Map(res.results.map((r) => [r._from.id, r.to.map((t) => String(t.toObjectId)).sort()]));
    for (const id of ids) {
      const idx = book.deals.findIndex((d) => d.id === id);
      const calls = book.activities
        .filter((a) => a.deal === idx && a.kind === 'call' && !a.deleted)
        .map((a) => a.id)
        .sort();
      expect(got.get(id) ?? []).toEqual(calls);
    }
  });

  it('lists pipelines with stage metadata, owners and deal properties', async () => {
    const pipelines = await client.crm.pipelines.pipelinesApi.getAll('deals');
    const stage = pipelines.results[0]!.stages.find((s) => s.id === 'closedwon')!;
    expect(stage.metadata).toEqual({ isClosed: 'true', probability: '1' });
    const owners = await client.crm.owners.ownersApi.getPage();
    expect(owners.results.map((o) => o.id).sort()).toEqual(sandbox.state.hubspot.reps.map((r) => r.id).sort());
    const props = await client.crm.properties.coreApi.getAll('deals');
    const names = props.results.map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'dealname',
        'dealstage',
        'hs_date_entered_closedwon',
        'discount_percent',
        'hs_analytics_source',
        'dealwatch_score',
      ]),
    );
  });

  it('lists archived deals only with archived=true, after a delete from the admin surface', async () => {
    const id = liveDealIds()[7]!;
    sandbox.deleteDeal('hubspot', id);
    const live = await client.crm.deals.basicApi.getPage(100, undefined, undefined, undefined, undefined, false);
    expect(live.results.map((r) => r.id)).not.toContain(id);
    const archived = await client.crm.deals.basicApi.getPage(100, undefined, undefined, undefined, undefined, true);
    expect(archived.results.map((r) => r.id)).toEqual([id]);
    expect(archived.results[0]!.archived).toBe(true);
  });

  it('answers 401 with HubSpot error JSON for a wrong token', async () => {
    const bad = new Client({ accessToken: 'wrong', basePath: sandbox.hubspot.baseUrl, numberOfApiCallRetries: 0 });
    const err = (await bad.crm.deals.basicApi.getPage(10).catch((e: unknown) => e)) as {
      code: number;
      body: { status: string; category: string };
    };
    expect(err.code).toBe(401);
    expect(err.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
  });
});

describe('HubSpot rate limits', () => {
  let limited: Sandbox;
  beforeAll(async () => {
    limited = await startSandbox({ deals: 20, seed: 3, now: NOW, hubspotRateLimits: { perTenSeconds: 5, searchPerSecond: 2, daily: 8 } });
  });
  afterAll(async () => {
    await limited.close();
  });
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${limited.hubspot.baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${limited.hubspot.accessToken}`, 'content-type': 'application/json' },
    });

  it('sends X-HubSpot-RateLimit-* headers, then 429 TEN_SECONDLY_ROLLING / SECONDLY / DAILY bodies', async () => {
    const first = await call('/crm/v3/objects/deals');
    expect(first.headers.get('x-hubspot-ratelimit-max')).toBe('5');
    expect(first.headers.get('x-hubspot-ratelimit-remaining')).toBe('4');
    expect(first.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
    expect(first.headers.get('x-hubspot-ratelimit-daily')).toBe('8');
    for (let i = 0; i < 4; i++) expect((await call('/crm/v3/objects/deals')).status).toBe(200);
    const burst = await call('/crm/v3/objects/deals');
    expect(burst.status).toBe(429);
    const burstBody = (await burst.json()) as Record<string, unknown>;
    expect(burstBody).toMatchObject({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      policyName: 'TEN_SECONDLY_ROLLING',
    });
    expect(Object.keys(burstBody).sort()).toEqual(['correlationId', 'errorType', 'groupName', 'message', 'policyName', 'status']);

    const search = () => call('/crm/v3/objects/deals/search', { method: 'POST', body: '{}' });
    expect((await search()).status).toBe(200);
    const searchOk = await search();
    expect(searchOk.status).toBe(200);
    expect(searchOk.headers.get('x-hubspot-ratelimit-max')).toBeNull();
    const secondly = await search();
    expect(secondly.status).toBe(429);
    expect(await secondly.json()).toMatchObject({ policyName: 'SECONDLY', errorType: 'RATE_LIMIT' });

    await new Promise((r) => setTimeout(r, 1100));
    expect((await search()).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const daily = await search();
    expect(daily.status).toBe(429);
    expect(await daily.json()).toMatchObject({ policyName: 'DAILY', message: 'You have reached your daily limit.' });
  });
});
