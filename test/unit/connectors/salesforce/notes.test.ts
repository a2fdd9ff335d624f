/**
 * warningRecord 'note': Enhanced Notes (ContentNote + ContentDocumentLink) written through sObject
 * Collections, looked up by the [dw:tag] in Title so that a retry never writes a second note.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WarningAnnotation } from '../../../../connectors/types.js';
import { noteHtml, warningTag } from '../../../../connectors/salesforce/annotate.js';
import { API, INSTANCE, connector, fixture, soqlOf } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

const dealId = (n: number) => `006RO00000Aa${String(n).padStart(3, '0')}YAA`;
const warning = (n: number, extra: Partial<WarningAnnotation> = {}): WarningAnnotation => ({
  key: `dw:${String(n).padStart(13, 'a')}`,
  dealId: dealId(n),
  ownerId: '005RO000001aaaaYAA',
  externalId: null,
  open: true,
  severity: 'critical',
  title: 'Pipeline health: Stale deal',
  body:
    'No activity for 34 days (team median 9) & no next step.\n\nEvidence:\n- daysSinceActivity: ' +
    '34\n\nWhat to do: call the <champion> this week.',
  dueDate: '2026-11-28',
  ...extra,
});
const title = (w: WarningAnnotation) => `Pipeline health: Stale deal [dw:${warningTag(w.key)}]`;
const noteConnector = () => connector({ warningRecord: 'note' });

type Body = { allOrNone: boolean; records: Record<string, unknown>[] };
type Row = Record<string, unknown>;

/** Answers every GET /query from `rows(soql)` and keeps the SOQL sent. */
function queries(rows: (soql: string) => Row[]): string[] {
  const sent: string[] = [];
  nock(INSTANCE)
    .get(`${API}/query`)
    .query(true)
    .reply((uri) => {
      const soql = soqlOf(uri);
      sent.push(soql);
      const records = rows(soql);
      return [200, { totalSize: records.length, done: true, records }];
    })
    .persist();
  return sent;
}

/** The tags a ContentNote lookup asks for. */
const tagsIn = (soql: string): string[] => [...soql.matchAll(/\[dw:([0-9a-f]{16})\]/g)].map((m) => m[1]!);

/** Answers every POST /composite/sobjects: notes get ids 069..., links 06A...; keeps the bodies. */
function creates(answer?: (body: Body, index: number) => unknown): Body[] {
  const bodies: Body[] = [];
  let n = 0;
  nock(INSTANCE)
    .post(`${API}/composite/sobjects`)
    .reply((_uri, raw) => {
      const body = raw as Body;
      bodies.push(body);
      const index = bodies.length - 1;
      if (answer) return [200, answer(body, index)];
      return [
        200,
        body.records.map((r) => {
          n += 1;
          const prefix = (r['attributes'] as { type: string }).type === 'ContentNote' ? '069' : '06A';
          return { id: `${prefix}RO0000${String(n).padStart(6, '0')}YAA`, success: true, errors: [] };
        }),
      ];
    })
    .persist();
  return bodies;
}

const typeOf = (r: Record<string, unknown>) => (r['attributes'] as { type: string }).type;

describe('salesforce annotate, warningRecord note', () => {
  it('writes one ContentNote and one ContentDocumentLink per warning, 200 records a request, allOrNone=false', async () => {
    const sent = queries(() => []);
    const bodies = creates();
    const warnings = Array.from({ length: 250 }, (_, i) => warning(i + 1));
    const result = await noteConnector().annotate({ fields: [], warnings });

    expect(result.warningKind).toBe('note');
    expect(bodies.map((b) => [typeOf(b.records[0]!), b.records.length])).toEqual([
      ['ContentNote', 200],
      ['ContentDocumentLink', 200],
      ['ContentNote', 50],
      ['ContentDocumentLink', 50],
    ]);
    expect(bodies.every((b) => b.allOrNone === false && b.records.every((r) => typeOf(r) === typeOf(b.records[0]!)))).toBe(true);

    const w1 = warnings[0]!;
    const note = bodies[0]!.records[0]!;
    expect(Object.keys(note).sort()).toEqual(['Content', 'Title', 'attributes']);
    expect(note['Title']).toBe(title(w1));
    const html = Buffer.from(String(note['Content']), 'base64').toString('utf8');
    expect(html).toBe(noteHtml(w1));
    // Escaped special characters, one paragraph per line; the key only in the Title's tag.
    expect(html).toContain('<p>No activity for 34 days (team median 9) &amp; no next step.</p><p><br></p><p>Evidence:</p>');
    expect(html).toContain('call the &lt;champion&gt; this week.');
    expect(html).not.toContain('dw:');
    expect(html).not.toMatch(/\n/);

    // Each link shares the note created for that warning with that warning's deal.
    const noteIds = [...result.warnings.values()].map((o) => (o.ok ? o.externalId : null));
    expect(noteIds[0]).toMatch(/^069/);
    expect(bodies[1]!.records[0]).toEqual({
      attributes: { type: 'ContentDocumentLink' },
      ContentDocumentId: noteIds[0],
      LinkedEntityId: w1.dealId,
      ShareType: 'V',
      Visibility: 'AllUsers',
    });
    expect(bodies[3]!.records.map((r) => r['LinkedEntityId'])).toEqual(warnings.slice(200).map((w) => w.dealId));
    expect([...result.warnings.values()].every((o) => o.ok && o.externalId?.startsWith('069'))).toBe(true);
    expect(result.warnings.size).toBe(250);

    // Looked up first (100 tags a query), and no link query when no note exists.
    expect(sent).toHaveLength(3);
    expect(sent.every((q) => q.startsWith("SELECT Id, Title FROM ContentNote WHERE Title LIKE 'Pipeline health:%' AND ("))).toBe(true);
    expect(sent.map((q) => tagsIn(q).length)).toEqual([100, 100, 50]);
    expect(sent.join('\n')).not.toContain('Content LIKE');
  });

  it('reports a partial failure per record and, on retry, rewrites neither the good notes nor a note whose link failed', async () => {
    const [w1, w2, w3] = [warning(1), warning(2), warning(3)];
    queries(() => []);
    const bodies = creates((_b, i) =>
      i === 0 ? fixture('collections-create-notes-partial.json') : fixture('collections-create-links-partial.json'),
    );
    const first = await noteConnector().annotate({ fields: [], warnings: [w1, w2, w3] });
    expect(bodies.map((b) => b.records.length)).toEqual([3, 2]);
    // Links only for the notes that were created, each to its own deal.
    expect(bodies[1]!.records.map((r) => [r['ContentDocumentId'], r['LinkedEntityId']])).toEqual([
      ['069RO00000Nte01YAA', w1.dealId],
      ['069RO00000Nte03YAA', w3.dealId],
    ]);
    expect(first.warnings.get(w1.key)).toEqual({ ok: true, externalId: '069RO00000Nte01YAA' });
    expect(first.warnings.get(w2.key)).toMatchObject({
      ok: false,
      retryable: false,
      error: expect.stringContaining('FIELD_INTEGRITY_EXCEPTION'),
    });
    expect(first.warnings.get(w3.key)).toMatchObject({
      ok: false,
      retryable: true,
      error: expect.stringMatching(/ContentNote 069RO00000Nte03YAA exists but linking it to 006RO00000Aa003YAA failed.*UNABLE_TO_LOCK_ROW/),
    });

    // The retry: Salesforce now holds note 1 (linked to deal 1) and note 3 (linked to its owner only).
    nock.cleanAll();
    const sent = queries((soql) => {
      if (soql.includes('FROM ContentNote')) {
        return [
          { attributes: { type: 'ContentNote' }, Id: '069RO00000Nte01YAA', Title: title(w1) },
          { attributes: { type: 'ContentNote' }, Id: '069RO00000Nte03YAA', Title: title(w3) },
        ].filter((r) => tagsIn(soql).some((t) => r.Title.includes(t)));
      }
      return [
        { attributes: { type: 'ContentDocumentLink' }, ContentDocumentId: '069RO00000Nte01YAA', LinkedEntityId: '005RO000000intgYAA' },
        { attributes: { type: 'ContentDocumentLink' }, ContentDocumentId: '069RO00000Nte01YAA', LinkedEntityId: w1.dealId },
        { attributes: { type: 'ContentDocumentLink' }, ContentDocumentId: '069RO00000Nte03YAA', LinkedEntityId: '005RO000000intgYAA' },
      ];
    });
    const retryBodies = creates();
    const retry = await noteConnector().annotate({ fields: [], warnings: [w1, w2, w3] });
    expect(sent[1]).toBe(
      'SELECT ContentDocumentId, LinkedEntityId FROM ContentDocumentLink WHERE ContentDocumentId IN ' +
        "('069RO00000Nte01YAA', '069RO00000Nte03YAA')",
    );
    expect(retryBodies.map((b) => b.records.map(typeOf))).toEqual([['ContentNote'], ['ContentDocumentLink', 'ContentDocumentLink']]);
    expect(retryBodies[0]!.records[0]!['Title']).toBe(title(w2));
    expect(retryBodies[1]!.records.map((r) => [r['ContentDocumentId'], r['LinkedEntityId']])).toEqual([
      ['069RO00000Nte03YAA', w3.dealId],
      [expect.stringMatching(/^069/), w2.dealId],
    ]);
    expect(retry.warnings.get(w1.key)).toEqual({ ok: true, externalId: '069RO00000Nte01YAA' });
    expect(retry.warnings.get(w3.key)).toEqual({ ok: true, externalId: '069RO00000Nte03YAA' });
    expect(retry.warnings.get(w2.key)).toMatchObject({ ok: true });
  });

  it('after a crash, finds the notes already on their deals by key and writes nothing', async () => {
    const [w1, w2] = [warning(1), warning(2)];
    queries((soql) =>
      soql.includes('FROM ContentNote')
        ? [
            { attributes: { type: 'ContentNote' }, Id: '069RO00000Nte01YAA', Title: title(w1) },
            { attributes: { type: 'ContentNote' }, Id: '069RO00000Nte02YAA', Title: title(w2) },
          ]
        : [
            { attributes: { type: 'ContentDocumentLink' }, ContentDocumentId: '069RO00000Nte01YAA', LinkedEntityId: w1.dealId },
            { attributes: { type: 'ContentDocumentLink' }, ContentDocumentId: '069RO00000Nte02YAA', LinkedEntityId: '005RO000000intgYAA' },
          ],
    );
    const c = noteConnector();
    // The write-back job asks for pending keys first: only the note on a deal counts as written.
    const found = await c.findWarnings([w1.key, w2.key, warning(9).key]);
    expect([...found]).toEqual([[w1.key, '069RO00000Nte01YAA']]);

    const bodies = creates();
    const result = await c.annotate({ fields: [], warnings: [w1] });
    expect(bodies).toEqual([]);
    expect(result.warnings.get(w1.key)).toEqual({ ok: true, externalId: '069RO00000Nte01YAA' });
  });

  it('counts a link that already exists (DUPLICATE_VALUE) as linked', async () => {
    const w1 = warning(1);
    queries((soql) =>
      soql.includes('FROM ContentNote') ? [{ attributes: { type: 'ContentNote' }, Id: '069RO00000Nte01YAA', Title: title(w1) }] : [],
    );
    const bodies = creates(() => [
      {
        success: false,
        errors: [
          {
            statusCode: 'DUPLICATE_VALUE',
            message: 'Document with ID: 069RO00000Nte01YAA is already linked with the entity with ID: 006RO00000Aa001YAA',
            fields: ['LinkedEntityId'],
          },
        ],
      },
    ]);
    const result = await noteConnector().annotate({ fields: [], warnings: [w1] });
    expect(bodies.map((b) => b.records.map(typeOf))).toEqual([['ContentDocumentLink']]);
    expect(result.warnings.get(w1.key)).toEqual({ ok: true, externalId: '069RO00000Nte01YAA' });
  });

  it('writes nothing when the lookup fails: the chunk fails retryable', async () => {
    nock(INSTANCE).get(`${API}/query`).query(true).reply(503, 'unavailable').persist();
    const bodies = creates();
    const result = await noteConnector().annotate({ fields: [], warnings: [warning(1), warning(2)] });
    expect(bodies).toEqual([]);
    expect([...result.warnings.values()]).toEqual([
      expect.objectContaining({ ok: false, retryable: true }),
      expect.objectContaining({ ok: false, retryable: true }),
    ]);
  });

  it('task mode: one Task per deal, no note, findWarnings on Task.Dealwatch_Key__c', async () => {
    const sent = queries(() => []);
    const bodies = creates((b) => b.records.map((_, i) => ({ id: `00TRO00000Tsk0${i}YAA`, success: true, errors: [] })));
    const c = connector({ warningRecord: 'task' });
    const result = await c.annotate({ fields: [], warnings: [warning(1)] });
    expect(result.warningKind).toBe('task');
    expect(sent).toEqual([]);
    expect(bodies.map((b) => b.records.map(typeOf))).toEqual([['Task']]);
    await c.findWarnings([warning(1).key]);
    expect(sent[0]).toContain('FROM Task WHERE Dealwatch_Key__c IN');
  });
});

describe('salesforce doctor, warningRecord note', () => {
  it('checks that the integration user can create ContentNote and ContentDocumentLink (not Task)', async () => {
    const api = nock(INSTANCE)
      .get(`${API}/sobjects/Opportunity/describe`)
      .reply(200, fixture('describe-opportunity.json'))
      .get(`${API}/sobjects/ContentNote/describe`)
      .reply(200, fixture('describe-contentnote.json'))
      .get(`${API}/sobjects/ContentDocumentLink/describe`)
      .reply(200, fixture('describe-contentdocumentlink.json'));
    const report = await connector({ warningRecord: 'note' }).doctor();
    expect(api.isDone()).toBe(true);
    expect(report.checks.filter((c) => /Content|Task/.test(c.name))).toEqual([
      { name: 'ContentNote create', ok: true, detail: 'allowed' },
      { name: 'ContentDocumentLink create', ok: true, detail: 'allowed' },
    ]);
  });

  it('fails with a hint when Notes are off in the org (ContentNote describe is NOT_FOUND)', async () => {
    nock(INSTANCE)
      .get(`${API}/sobjects/Opportunity/describe`)
      .reply(200, fixture('describe-opportunity.json'))
      .get(`${API}/sobjects/ContentNote/describe`)
      .reply(404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }])
      .get(`${API}/sobjects/ContentDocumentLink/describe`)
      .reply(200, { ...fixture<Record<string, unknown>>('describe-contentdocumentlink.json'), createable: false });
    const report = await connector({ warningRecord: 'note' }).doctor();
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'ContentNote create')).toEqual({
      name: 'ContentNote create',
      ok: false,
      detail: "ContentNote is not available: turn on Notes (Setup > Notes Settings) or set warningRecord: 'task'",
    });
    expect(report.checks.find((c) => c.name === 'ContentDocumentLink create')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('cannot create ContentDocumentLink'),
    });
  });
});
