import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BASE_URL, NOW, collect, connector, fixture } from './support.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

describe('HubSpot full pull (list endpoints)', () => {
  it('follows paging.next.after even when a page is shorter than the limit, maps deals and tombstones archived ones', async () => {
    const seen: Record<string, string | string[]>[] = [];
    nock(BASE_URL).get('/crm/v3/pipelines/deals').reply(200, fixture('pipelines-deals.json'));
    nock(BASE_URL)
      .get('/crm/v3/objects/deals')
      .query((q) => {
        seen.push(q as Record<string, string>);
        return q.archived === 'false' && q.after === undefined;
      })
      .reply(200, fixture('deals-list-page1.json'))
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'false' && q.after === '10')
      .reply(200, fixture('deals-list-page2.json'))
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'true')
      .reply(200, fixture('deals-archived.json'));
    // Page 2 carries no inline associations (HubSpot omits the key when there are none): one v4 read settles it.
    nock(BASE_URL)
      .post('/crm/v4/associations/deals/companies/batch/read', (b) => JSON.stringify(b) === JSON.stringify({ inputs: [{ id: '10' }] }))
      .reply(200, { status: 'COMPLETE', results: [] });
    // Deal 9's company name and target flag: one companies batch read.
    nock(BASE_URL)
      .post(
        '/crm/v3/objects/companies/batch/read',
        (b) =>
          JSON.stringify(b.inputs) === JSON.stringify([{ id: '5001' }]) &&
          JSON.stringify(b.properties) === JSON.stringify(['name', 'hs_is_target_account']),
      )
      .query(true)
      .reply(200, {
        ...fixture<{ results: { id: string }[] }>('companies-batch-read.json'),
        results: fixture<{ results: { id: string }[] }>('companies-batch-read.json').results.filter((r) => r.id === '5001'),
      });

    const c = connector();
    const pages = await collect(c.pullDeals({ since: null, mode: 'full' }));

    const deals = pages.flatMap((p) => p.records);
    expect(deals.map((d) => d.externalId)).toEqual(['9', '10']);
    const [acme, globex] = deals;
    expect(acme).toMatchObject({
      name: 'Acme renewal',
      ownerId: '41629779',
      accountId: '5001',
      accountName: 'Acme Corp',
      leadSource: 'ORGANIC_SEARCH',
      stageId: 'presentationscheduled',
      amount: 1500,
      currency: 'EUR',
      closeDate: '2026-12-19',
      probability: 0.6,
      forecastCategory: 'best_case',
      nextStep: 'Send proposal',
      discountPercent: 12.5,
      contactCount: 2,
      isClosed: false,
      isWon: false,
      stageEnteredAt: '2026-11-01T09:00:00.000Z',
      isDeleted: false,
    });
    // No hs_is_closed/probability on the record: taken from the stage (closedwon: closed, probability 1).
    expect(globex).toMatchObject({
      stageId: 'closedwon',
      isClosed: true,
      isWon: true,
      probability: 1,
      amount: null,
      accountId: null,
      accountName: null,
    });

    expect(pages.flatMap((p) => p.tombstones)).toEqual(['77', '78']);
    // Every page carries where the walk continues after it (HubSpot's own `after`, then the archived
    // list from its start); the last one only the instant the walk began.
    const stamp = new Date(NOW).toISOString();
    expect(pages.map((p) => p.cursor)).toEqual([
      { stamp, id: '', walk: { phase: 'deals-with-history', after: '10' } },
      { stamp, id: '', walk: { phase: 'archived-deals', after: null } },
      { stamp, id: '' },
    ]);

    const first = seen[0]!;
    expect(first.limit).toBe('50');
    expect(first.propertiesWithHistory).toEqual(expect.arrayContaining(['dealstage', 'amount', 'closedate']));
    expect(first.associations).toBe('companies');
    expect(first.properties).toEqual(
      expect.arrayContaining([
        'dealname',
        'hs_analytics_source',
        'discount_percent',
        'num_associated_contacts',
        'hs_date_entered_closedwon',
      ]),
    );
    expect(c.usage().calls).toBe(6);
    expect(c.usage().byEndpoint['POST /crm/v3/objects/companies/batch/read']).toBe(1);
    expect(c.usage().byEndpoint['GET /crm/v3/objects/deals']).toBe(3);
    expect(nock.isDone()).toBe(true);
  });

  it('reads the discount from fieldMap.discount when set', async () => {
    nock(BASE_URL).get('/crm/v3/pipelines/deals').reply(200, fixture('pipelines-deals.json'));
    const page = fixture<{ results: { properties: Record<string, string> }[] }>('deals-list-page2.json');
    page.results[0]!.properties.approved_discount = '30';
    nock(BASE_URL)
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'false' && (q.properties as string[]).includes('approved_discount'))
      .reply(200, page)
      .get('/crm/v3/objects/deals')
      .query((q) => q.archived === 'true')
      .reply(200, { results: [] })
      .post('/crm/v4/associations/deals/companies/batch/read')
      .reply(200, { results: [] });
    const pages = await collect(connector({ fieldMap: { discount: 'approved_discount' } }).pullDeals({ since: null }));
    expect(pages.flatMap((p) => p.records)[0]?.discountPercent).toBe(30);
  });

  it('lists owners (archived ones inactive) and stages in display order with won = closed at probability 1', async () => {
    nock(BASE_URL)
      .get('/crm/v3/owners/')
      .query((q) => q.archived === 'false')
      .reply(200, fixture('owners.json'))
      .get('/crm/v3/owners/')
      .query((q) => q.archived === 'true')
      .reply(200, fixture('owners-archived.json'))
      .get('/crm/v3/pipelines/deals')
      .reply(200, fixture('pipelines-deals.json'));
    const c = connector();
    const owners = await c.pullOwners();
    expect(owners).toEqual([
      { connectionId: 'hs-test', externalId: '41629779', name: 'Ada Lovelace', email: 'ada@example.com', team: 'East', active: true },
      { connectionId: 'hs-test', externalId: '60158084', name: 'Grace Hopper', email: 'grace@example.com', team: null, active: true },
      { connectionId: 'hs-test', externalId: '11111111', name: 'Former Rep', email: 'gone@example.com', team: null, active: false },
    ]);
    const stages = await c.pullStages();
    expect(stages.map((s) => [s.id, s.order, s.probability, s.isClosed, s.isWon])).toEqual([
      ['appointmentscheduled', 0, 0.2, false, false],
      ['qualifiedtobuy', 1, 0.4, false, false],
      ['presentationscheduled', 2, 0.6, false, false],
      ['contractsent', 3, 0.9, false, false],
      ['closedwon', 4, 1, true, true],
      ['closedlost', 5, 0, true, false],
    ]);
  });
});
