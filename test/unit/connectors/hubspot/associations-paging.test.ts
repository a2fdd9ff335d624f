/**
 * Inline associations are cut at 100 per record with `paging.next` (list endpoint); the records cut
 * short are read again through the v4 batch association read (per-record paging followed), so an
 * activity on more than 100 deals or a deal with more than 100 companies loses nothing.
 * Shapes: test/fixtures/hubspot/list-associations-paged.json and associations-paged.json (doc URLs inside).
 */
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BASE_URL, collect, connector, fixture, replyNoArchivedDeals, replyPipelines } from './support.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

type Row = Record<string, unknown>;
const OTHER_TYPES = ['emails', 'meetings', 'notes', 'tasks'];

/** The recorded list record with its inline `toType` list replaced by `ids` (and `paging` kept or dropped). */
function listRecord(
  id: string,
  toType: string,
  ids: { id: string; type: string }[],
  paged: boolean,
  base: Row = fixture<{ results: Row[] }>('list-associations-paged.json').results[0]!,
): Row {
  const inline = (fixture<{ results: Row[] }>('list-associations-paged.json').results[0]!.associations as Record<string, Row>).deals!;
  return { ...base, id, associations: { [toType]: { results: ids, ...(paged ? { paging: inline.paging } : {}) } } };
}

/** A v4 result for `from` with `to` ids, shaped like the recorded fixture, with or without a next page. */
function v4Result(from: string, to: { id: number; typeId: number }[], after: string | null): Row {
  const template = fixture<{ results: Row[] }>('associations-paged.json').results[0]!;
  return {
    ...template,
    from: { id: from },
    to: to.map((t) => ({
      toObjectId: t.id,
      associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: t.typeId, label: t.typeId === 5 ? 'Primary' : null }],
    })),
    ...(after ? {} : { paging: undefined }),
  };
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('inline associations cut at 100 (paging.next)', () => {
  it('an activity linked to 150 deals keeps all 150: the cut record is read through v4, following its paging', async () => {
    const first100 = range(1001, 100).map((n) => ({ id: String(n), type: 'call_to_deal' }));
    nock(BASE_URL)
      .get('/crm/v3/objects/calls')
      .query((q) => q.archived === 'false' && q.associations === 'deals')
      .reply(200, {
        results: [listRecord('31', 'deals', first100, true), listRecord('32', 'deals', [{ id: '2001', type: 'call_to_deal' }], false)],
      });
    const v4Inputs: unknown[] = [];
    nock(BASE_URL)
      .post('/crm/v4/associations/calls/deals/batch/read')
      .times(2)
      .reply((_uri, body) => {
        const inputs = (body as { inputs: { id: string; after?: string }[] }).inputs;
        v4Inputs.push(inputs);
        // First page: the first 100 again, then the next page: the last 50.
        return inputs[0]?.after === 'NTAw'
          ? [
              200,
              {
                status: 'COMPLETE',
                results: [
                  v4Result(
                    '31',
                    range(1101, 50).map((id) => ({ id, typeId: 206 })),
                    null,
                  ),
                ],
              },
            ]
          : [
              200,
              {
                status: 'COMPLETE',
                results: [
                  v4Result(
                    '31',
                    range(1001, 100).map((id) => ({ id, typeId: 206 })),
                    'NTAw',
                  ),
                ],
              },
            ];
      });
    for (const type of OTHER_TYPES)
      nock(BASE_URL)
        .get(`/crm/v3/objects/${type}`)
        .query((q) => q.archived === 'false')
        .reply(200, { results: [] });
    for (const type of ['calls', ...OTHER_TYPES])
      nock(BASE_URL)
        .get(`/crm/v3/objects/${type}`)
        .query((q) => q.archived === 'true')
        .reply(200, { results: [] });

    const pages = await collect(connector().pullActivities({ since: null, mode: 'full' }));
    const byId = new Map(pages.flatMap((p) => p.records).map((a) => [a.externalId, a]));
    expect(byId.get('31')?.dealIds).toEqual(range(1001, 150).map(String));
    // Records not cut keep their inline links and are not read again.
    expect(byId.get('32')?.dealIds).toEqual(['2001']);
    expect(v4Inputs).toEqual([[{ id: '31' }], [{ id: '31', after: 'NTAw' }]]);
    expect(nock.isDone()).toBe(true);
  });

  it('a deal with 120 companies keeps its primary company even when it is past the first 100', async () => {
    replyPipelines();
    const deal = fixture<{ results: Row[] }>('deals-list-page1.json').results[0]!;
    const unlabeled = range(5001, 100).map((n) => ({ id: String(n), type: 'deal_to_company_unlabeled' }));
    nock(BASE_URL)
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'false' && q.associations === 'companies')
      .reply(200, { results: [listRecord('9', 'companies', unlabeled, true, deal)] });
    replyNoArchivedDeals();
    nock(BASE_URL)
      .post('/crm/v4/associations/deals/companies/batch/read', (b) => JSON.stringify(b.inputs) === JSON.stringify([{ id: '9' }]))
      .reply(200, {
        status: 'COMPLETE',
        results: [
          v4Result(
            '9',
            range(5001, 120).map((id) => ({ id, typeId: id === 5110 ? 5 : 341 })),
            null,
          ),
        ],
      });
    nock(BASE_URL)
      .post('/crm/v3/objects/companies/batch/read', (b) => JSON.stringify(b.inputs) === JSON.stringify([{ id: '5110' }]))
      .query(true)
      .reply(200, { status: 'COMPLETE', results: [{ id: '5110', properties: { name: 'Initech' }, archived: false }] });

    const pages = await collect(connector().pullDeals({ since: null, mode: 'full' }));
    expect(pages.flatMap((p) => p.records).map((d) => [d.externalId, d.accountId, d.accountName])).toEqual([['9', '5110', 'Initech']]);
    expect(nock.isDone()).toBe(true);
  });
});
