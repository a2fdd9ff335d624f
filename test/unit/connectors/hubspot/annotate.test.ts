import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WarningAnnotation } from '../../../../connectors/types.js';
import { BASE_URL, connector, fixture } from './support.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
});

interface CreateBody {
  inputs: {
    properties: Record<string, string>;
    associations: { to: { id: string }; types: { associationCategory: string; associationTypeId: number }[] }[];
    objectWriteTraceId?: string;
  }[];
}

function warning(i: number, overrides: Partial<WarningAnnotation> = {}): WarningAnnotation {
  return {
    key: `hs-test:${100 + i}:stale_deal:2026-11-26`,
    dealId: String(100 + i),
    ownerId: '41629779',
    externalId: null,
    open: true,
    severity: 'warning',
    title: 'Pipeline health: no activity for 21 days',
    body: 'No call, email or meeting since 2026-11-05.\nSuggested: book a call this week.',
    ...overrides,
  };
}

/** The portal already has the key property on notes/tasks (checked at the first warning write). */
function withKeyProperty(type: 'notes' | 'tasks') {
  nock(BASE_URL)
    .get(`/crm/v3/properties/${type}`)
    .query(true)
    .reply(200, { results: [{ name: 'dealwatch_key', type: 'string' }] });
}

/** Echoes a batch create like HubSpot: one result per input with the properties it set. */
function echoCreate(firstId: number, requests: CreateBody[]) {
  return (_uri: string, body: nock.Body): [number, Record<string, unknown>] => {
    const req = body as unknown as CreateBody;
    requests.push(req);
    return [
      201,
      {
        ...fixture('notes-batch-create-201.json'),
        results: req.inputs.map((input, i) => ({
          id: String(firstId + i),
          properties: input.properties,
          createdAt: '2026-11-26T12:00:00.000Z',
          updatedAt: '2026-11-26T12:00:00.000Z',
          archived: false,
        })),
      },
    ];
  };
}

describe('HubSpot annotate', () => {
  it('writes score and flags 100 deals a request and reports a 207 per record', async () => {
    type UpdateBody = { inputs: { id: string; properties: Record<string, string> }[] };
    const bodies: UpdateBody[] = [];
    // The first field write checks that the properties exist (they do here).
    const withScoreProperties = {
      results: [
        { name: 'dealwatch_score', type: 'number' },
        { name: 'dealwatch_flags', type: 'string' },
      ],
    };
    nock(BASE_URL)
      .get('/crm/v3/properties/deals')
      .query(true)
      .reply(200, withScoreProperties)
      .post('/crm/v3/objects/deals/batch/update')
      .reply((_uri, b) => {
        const body = b as unknown as UpdateBody;
        bodies.push(body);
        return [
          200,
          {
            status: 'COMPLETE',
            results: body.inputs.map((i) => ({
              id: i.id,
              properties: i.properties,
              createdAt: '2026-10-01T09:00:00.000Z',
              updatedAt: '2026-11-26T10:00:00.000Z',
            })),
          },
        ];
      })
      .post('/crm/v3/objects/deals/batch/update')
      .reply((_uri, b) => {
        bodies.push(b as unknown as UpdateBody);
        return [207, fixture('deals-batch-update-207.json')];
      });

    const fields = Array.from({ length: 100 }, (_, i) => ({ dealId: String(1000 + i), score: 80, flags: [] as string[] }));
    fields.push(
      { dealId: '101', score: 42.4, flags: ['stale_deal', 'no_next_step'] },
      { dealId: '102', score: 10, flags: ['past_close_date'] },
    );
    const result = await connector().annotate({ fields, warnings: [] });

    expect(bodies).toHaveLength(2);
    expect(bodies[0]?.inputs[0]).toEqual({ id: '1000', properties: { dealwatch_score: '80', dealwatch_flags: '' } });
    expect(bodies[1]?.inputs[0]).toEqual({ id: '101', properties: { dealwatch_score: '42', dealwatch_flags: 'stale_deal;no_next_step' } });
    expect(result.fields.get('101')).toEqual({ ok: true, externalId: '101' });
    expect(result.fields.get('102')).toMatchObject({ ok: false, retryable: false });
    expect((result.fields.get('102') as { error: string }).error).toContain('OBJECT_NOT_FOUND');
    expect(result.fields.get('1000')).toEqual({ ok: true, externalId: '1000' });
    expect(bodies.map((b) => b.inputs.length)).toEqual([100, 2]);
  });

  it('creates one note per deal with association 214 and its key in the dealwatch_key property (not the body), 100 a request', async () => {
    const requests: CreateBody[] = [];
    withKeyProperty('notes');
    nock(BASE_URL).post('/crm/v3/objects/notes/batch/create').times(2).reply(echoCreate(9000, requests));
    const warnings = Array.from({ length: 120 }, (_, i) => warning(i));
    const result = await connector().annotate({ fields: [], warnings });

    expect(requests.map((r) => r.inputs.length)).toEqual([100, 20]);
    const first = requests[0]!.inputs[0]!;
    expect(first.associations).toEqual([
      { to: { id: '100' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 214 }] },
    ]);
    expect(first.properties.dealwatch_key).toBe('hs-test:100:stale_deal:2026-11-26');
    expect(first.properties.hs_note_body).not.toContain('hs-test:100');
    expect(first.properties.hs_note_body).toContain('Suggested: book a call this week.');
    expect(first.properties.hubspot_owner_id).toBe('41629779');
    expect(first.properties.hs_timestamp).toBe('2026-11-26T12:00:00.000Z');
    expect(result.warningKind).toBe('note');
    expect(result.warnings.get(warnings[0]!.key)).toEqual({ ok: true, externalId: '9000' });
    expect(result.warnings.get(warnings[119]!.key)).toEqual({ ok: true, externalId: '9019' });
  });

  it('creates tasks (association 216) when warningRecord is task', async () => {
    const requests: CreateBody[] = [];
    withKeyProperty('tasks');
    nock(BASE_URL).post('/crm/v3/objects/tasks/batch/create').reply(echoCreate(7000, requests));
    const result = await connector({ warningRecord: 'task' }).annotate({
      fields: [],
      warnings: [warning(0, { severity: 'critical', dueDate: '2026-11-28' })],
    });
    const input = requests[0]!.inputs[0]!;
    expect(input.associations[0]?.types[0]?.associationTypeId).toBe(216);
    expect(input.properties).toMatchObject({
      hs_task_subject: 'Pipeline health: no activity for 21 days',
      hs_task_status: 'NOT_STARTED',
      hs_task_priority: 'HIGH',
      hs_timestamp: '2026-11-28T00:00:00.000Z',
    });
    expect(result.warningKind).toBe('task');
    expect(result.warnings.get(warning(0).key)).toEqual({ ok: true, externalId: '7000' });
  });

  it('updates a task in place by its id, and completes it when nothing is open; the key property is created when missing', async () => {
    const updates: { inputs: { id: string; properties: Record<string, string> }[] }[] = [];
    const created: { name: string }[] = [];
    nock(BASE_URL)
      .get('/crm/v3/properties/tasks')
      .query(true)
      .reply(200, { results: [] })
      .post('/crm/v3/properties/tasks/groups')
      .reply(201, { name: 'dealwatch', label: 'dealwatch' })
      .post('/crm/v3/properties/tasks', (b) => (created.push(b as { name: string }), true))
      .reply(201, { name: 'dealwatch_key', type: 'string' })
      .post('/crm/v3/objects/tasks/batch/update', (b) => (updates.push(b as (typeof updates)[number]), true))
      .reply((_uri, b) => [
        200,
        { status: 'COMPLETE', results: (b as (typeof updates)[number]).inputs.map((i) => ({ id: i.id, properties: i.properties })) },
      ]);
    const closed = warning(0, { externalId: '7000', open: false, severity: 'info', title: 'Pipeline health: all clear' });
    const result = await connector({ warningRecord: 'task' }).annotate({ fields: [], warnings: [closed] });
    expect(created.map((p) => p.name)).toEqual(['dealwatch_key']);
    expect(updates[0]!.inputs).toEqual([
      {
        id: '7000',
        properties: expect.objectContaining({
          hs_task_subject: 'Pipeline health: all clear',
          hs_task_status: 'COMPLETED',
          hs_task_priority: 'LOW',
        }),
      },
    ]);
    expect(result.warnings.get(closed.key)).toEqual({ ok: true, externalId: '7000' });
  });

  it('does not retry a create after a 5xx (it may have been written): the records fail as retryable instead', async () => {
    withKeyProperty('notes');
    nock(BASE_URL)
      .post('/crm/v3/objects/notes/batch/create')
      .reply(503, { status: 'error', message: 'unavailable', category: 'SERVICE_UNAVAILABLE' });
    const c = connector();
    const result = await c.annotate({ fields: [], warnings: [warning(0)] });
    expect(result.warnings.get(warning(0).key)).toMatchObject({ ok: false, retryable: true });
    expect(c.usage().calls).toBe(2); // the key property check, then the one create
  });

  it("findWarnings reads the deals' notes through v4 associations when the deals are known", async () => {
    nock(BASE_URL)
      .post('/crm/v4/associations/deals/notes/batch/read')
      .reply(200, {
        status: 'COMPLETE',
        results: [
          {
            from: { id: '100' },
            to: [
              { toObjectId: 9000, associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 213 }] },
              { toObjectId: 9001, associationTypes: [] },
            ],
          },
        ],
      })
      .post(
        '/crm/v3/objects/notes/batch/read',
        (b) => JSON.stringify((b as { inputs: unknown }).inputs) === JSON.stringify([{ id: '9000' }, { id: '9001' }]),
      )
      .query(true)
      .reply(200, {
        status: 'COMPLETE',
        results: [
          {
            id: '9000',
            properties: { dealwatch_key: 'hs-test:100:stale_deal:2026-11-26' },
            createdAt: '2026-11-26T12:00:00.000Z',
            updatedAt: '2026-11-26T12:00:00.000Z',
          },
          {
            id: '9001',
            properties: { hs_note_body: '<p>a rep note</p>' },
            createdAt: '2026-11-26T12:00:00.000Z',
            updatedAt: '2026-11-26T12:00:00.000Z',
          },
        ],
      });
    const found = await connector().findWarnings([warning(0).key, warning(1).key], undefined, { dealIds: ['100', '101'] });
    expect([...found]).toEqual([[warning(0).key, '9000']]);
  });

  it('findWarnings without deals searches the key property, 100 keys a request', async () => {
    const bodies: { filterGroups: { filters: { propertyName: string; operator: string; values: string[] }[] }[] }[] = [];
    nock(BASE_URL)
      .post('/crm/v3/objects/notes/search', (b) => {
        bodies.push(b as (typeof bodies)[number]);
        return true;
      })
      .times(2)
      .reply(200, { total: 0, results: [] });
    await connector().findWarnings(Array.from({ length: 107 }, (_, i) => warning(i).key));
    expect(bodies.map((b) => b.filterGroups[0]?.filters[0]?.values.length)).toEqual([100, 7]);
    expect(bodies[0]?.filterGroups[0]?.filters[0]).toMatchObject({ propertyName: 'dealwatch_key', operator: 'IN' });
  });
});

describe('HubSpot doctor', () => {
  it('reports missing properties and creates them with fix', async () => {
    const created: { name: string; type: string }[] = [];
    nock(BASE_URL)
      .get('/crm/v3/properties/deals')
      .query(true)
      .reply(200, fixture('properties-deals.json'))
      .post('/crm/v3/properties/deals/groups', (b) => (b as { name: string }).name === 'dealwatch')
      .reply(201, { name: 'dealwatch', label: 'dealwatch', displayOrder: -1, archived: false })
      .post('/crm/v3/properties/deals', (b) => {
        created.push(b as (typeof created)[number]);
        return true;
      })
      .reply(201, { name: 'dealwatch_score', type: 'number' })
      .get('/crm/v3/properties/notes')
      .times(2)
      .query(true)
      .reply(200, { results: [] })
      .post('/crm/v3/properties/notes/groups')
      .reply(201, { name: 'dealwatch', label: 'dealwatch' })
      .post('/crm/v3/properties/notes', (b) => (created.push(b as (typeof created)[number]), true))
      .reply(201, { name: 'dealwatch_key', type: 'string' })
      // Discount approvals are tasks even where warnings are notes: the key property is checked there too.
      .get('/crm/v3/properties/tasks')
      .query(true)
      .reply(200, { results: [{ name: 'dealwatch_key', type: 'string' }] });
    const report = await connector().doctor({ fix: true });
    expect(created.map((p) => [p.name, p.type])).toEqual([
      ['dealwatch_score', 'number'],
      ['dealwatch_key', 'string'],
    ]);
    expect(report.checks.find((c) => c.name === 'property notes.dealwatch_key')).toMatchObject({
      ok: true,
      detail: 'dealwatch_key created on notes',
    });
    expect(report.checks.find((c) => c.name === 'property dealwatch_score')).toMatchObject({ ok: true, detail: 'dealwatch_score created' });
    expect(report.checks.find((c) => c.name === 'property dealwatch_flags')?.ok).toBe(true);
    expect(report.ok).toBe(true);

    nock(BASE_URL)
      .get('/crm/v3/properties/deals')
      .query(true)
      .reply(200, fixture('properties-deals.json'))
      .get('/crm/v3/properties/notes')
      .query(true)
      .reply(200, { results: [] })
      .get('/crm/v3/properties/tasks')
      .query(true)
      .reply(200, { results: [] });
    const dry = await connector().doctor();
    expect(dry.checks.find((c) => c.name === 'property tasks.dealwatch_key')?.detail).toContain('missing');
    expect(dry.checks.find((c) => c.name === 'property notes.dealwatch_key')?.detail).toContain('missing');
    expect(dry.ok).toBe(false);
    expect(dry.checks.find((c) => c.name === 'property dealwatch_score')?.detail).toContain('missing');
  });
});
