/**
 * warningRecord 'note' against the sandbox over loopback (jsforce unchanged): warnings become
 * Enhanced Notes linked to their opportunities, found again by key, written once however often the
 * write is retried; the sandbox answers bad note input with Salesforce's error shapes.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../../src/sandbox/index.js';
import { sandboxSalesforceConnection } from '../../../support/sandbox-connections.js';
import { SalesforceConnector } from '../../../../connectors/salesforce/connector.js';
import { noteRecord } from '../../../../connectors/salesforce/annotate.js';
import type { WarningAnnotation } from '../../../../connectors/types.js';

let sandbox: Sandbox;

function connectorFor(overrides: Record<string, unknown> = {}): SalesforceConnector {
  const settings = sandboxSalesforceConnection(sandbox, 'sfnotes', { warningRecord: 'note', ...overrides });
  return new SalesforceConnector(
    settings,
    { rateGate: { take: () => Promise.resolve() }, logger: pino({ level: 'silent' }) },
    {
      retryPolicy: { retries: 2, minTimeoutMs: 5, maxTimeoutMs: 20, maxRetryAfterMs: 1000 },
    },
  );
}

/** A raw REST call to the sandbox, as any client would send it. */
async function rest(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const sf = sandbox.salesforce;
  const res = await fetch(`${sf.instanceUrl}/services/data/v${sf.apiVersion}${path}`, {
    method,
    headers: { authorization: `Bearer ${sf.accessToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
const query = (soql: string) => rest('GET', `/query?q=${encodeURIComponent(soql)}`);
const create = (records: Record<string, unknown>[]) => rest('POST', '/composite/sobjects', { allOrNone: false, records });

const liveDeals = () => sandbox.state.salesforce.deals.filter((d) => !d.deleted);
const warningFor = (dealId: string, n: number): WarningAnnotation => ({
  key: `dw:${String(n).padStart(13, 'q')}`,
  dealId,
  ownerId: null,
  externalId: null,
  open: true,
  severity: 'warning',
  title: 'Pipeline health: Stale deal',
  body: `No activity for ${30 + n} days & no next step <yet>.\n\nWhat to do: call the champion.`,
});
const notesOn = (dealId: string) =>
  sandbox.state.annotations.filter((a) => a.provider === 'salesforce' && a.kind === 'note' && a.dealId === dealId);

beforeAll(async () => {
  sandbox = await startSandbox({ deals: 120, seed: 5, now: new Date('2026-11-26T09:00:00.000Z') });
});
afterAll(async () => {
  await sandbox?.close();
});

describe('salesforce notes x sandbox', () => {
  it('writes one note per warning linked to its opportunity, finds it by key, and writes nothing on a re-run', async () => {
    const c = connectorFor();
    const deals = liveDeals()
      .slice(0, 3)
      .map((d) => d.id);
    const warnings = deals.map((d, i) => warningFor(d, i + 1));
    const activitiesBefore = sandbox.state.salesforce.activities.length;

    const first = await c.annotate({ fields: [], warnings });
    expect(first.warningKind).toBe('note');
    expect([...first.warnings.values()].every((o) => o.ok && o.externalId?.startsWith('069'))).toBe(true);
    for (const [i, w] of warnings.entries()) {
      const notes = notesOn(deals[i]!);
      expect(notes).toHaveLength(1);
      expect(notes[0]!.fields).toMatchObject({
        Title: expect.stringMatching(/^Pipeline health: Stale deal \[dw:[0-9a-f]{16}\]$/),
        ShareType: 'V',
        Visibility: 'AllUsers',
      });
      expect(String(notes[0]!.fields['Content'])).not.toContain('dw:');
      expect(String(notes[0]!.fields['Content'])).toContain('&amp; no next step &lt;yet&gt;.');
    }
    // The note is on the deal: ContentDocumentLink by LinkedEntityId, as the Notes related list reads it.
    const onDeal = await query(`SELECT ContentDocumentId, ShareType FROM ContentDocumentLink WHERE LinkedEntityId = '${deals[0]}'`);
    const w0 = first.warnings.get(warnings[0]!.key);
    expect((onDeal.json as { records: { ContentDocumentId: string; ShareType: string }[] }).records).toEqual([
      expect.objectContaining({ ContentDocumentId: w0?.ok ? w0.externalId : 'none', ShareType: 'V' }),
    ]);

    // A crash after the write: the job asks for the keys, then (if asked) writes again.
    const found = await c.findWarnings([...warnings.map((w) => w.key), 'dw:neverwrittenxx']);
    expect(new Set(found.keys())).toEqual(new Set(warnings.map((w) => w.key)));
    const again = await connectorFor().annotate({ fields: [], warnings });
    expect([...again.warnings.entries()].map(([k, o]) => [k, o])).toEqual([...first.warnings.entries()]);
    for (const d of deals) expect(notesOn(d)).toHaveLength(1);
    expect(sandbox.state.salesforce.activities.length).toBe(activitiesBefore);
    expect(sandbox.state.annotations.filter((a) => a.kind === 'task')).toEqual([]);
  });

  it('links a note left unlinked by a crash between the two requests, without a second note', async () => {
    const deal = liveDeals()[10]!.id;
    const w = warningFor(deal, 20);
    // The first request of an earlier attempt went through; the worker died before the link.
    const created = await create([noteRecord(w)]);
    expect(created.status).toBe(200);
    const orphanId = (created.json as { id: string }[])[0]!.id;
    const c = connectorFor();
    expect(await c.findWarnings([w.key])).toEqual(new Map());

    const result = await c.annotate({ fields: [], warnings: [w] });
    expect(result.warnings.get(w.key)).toEqual({ ok: true, externalId: orphanId });
    expect(notesOn(deal).map((a) => a.recordId)).toEqual([orphanId]);
    const notes = await query(`SELECT Id FROM ContentNote WHERE Title LIKE '%Stale deal%'`);
    expect((notes.json as { records: { Id: string }[] }).records.filter((r) => r.Id === orphanId)).toHaveLength(1);
    expect([...(await c.findWarnings([w.key]))]).toEqual([[w.key, orphanId]]);
  });

  it('reports a link to a deleted opportunity per record and still writes the others', async () => {
    const [gone, kept] = liveDeals()
      .slice(20, 22)
      .map((d) => d.id);
    sandbox.deleteDeal('salesforce', gone!);
    const [wGone, wKept] = [warningFor(gone!, 30), warningFor(kept!, 31)];
    const result = await connectorFor().annotate({ fields: [], warnings: [wGone, wKept] });
    expect(result.warnings.get(wGone.key)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/exists but linking it to .* failed.*ENTITY_IS_DELETED/),
    });
    expect(result.warnings.get(wKept.key)).toMatchObject({ ok: true });
    expect(notesOn(kept!)).toHaveLength(1);
    expect(notesOn(gone!)).toHaveLength(0);
  });

  it('doctor checks that ContentNote and ContentDocumentLink can be created', async () => {
    const report = await connectorFor().doctor();
    expect(report.checks.filter((check) => check.name.startsWith('Content'))).toEqual([
      { name: 'ContentNote create', ok: true, detail: 'allowed' },
      { name: 'ContentDocumentLink create', ok: true, detail: 'allowed' },
    ]);
  });

  it("answers bad note input with Salesforce's errors", async () => {
    const deal = liveDeals()[40]!.id;
    const ok = await create([
      { attributes: { type: 'ContentNote' }, Title: 'Pipeline health: x', Content: Buffer.from('<p>fine</p>').toString('base64') },
    ]);
    const noteId = (ok.json as { id: string }[])[0]!.id;
    const bad = await create([
      { attributes: { type: 'ContentNote' }, Content: Buffer.from('<p>no title</p>').toString('base64') },
      { attributes: { type: 'ContentNote' }, Title: 'x', Content: 'not base64!' },
      { attributes: { type: 'ContentNote' }, Title: 'x', Content: Buffer.from('fish & chips <script>').toString('base64') },
      { attributes: { type: 'ContentNote' }, Title: 'x'.repeat(256) },
      { attributes: { type: 'ContentNote' }, Title: 'x', FileType: 'PDF' },
      {
        attributes: { type: 'ContentDocumentLink' },
        ContentDocumentId: noteId,
        LinkedEntityId: deal,
        ShareType: 'X',
        Visibility: 'AllUsers',
      },
      { attributes: { type: 'ContentDocumentLink' }, ContentDocumentId: noteId, LinkedEntityId: deal },
      {
        attributes: { type: 'ContentDocumentLink' },
        ContentDocumentId: noteId,
        LinkedEntityId: deal,
        ShareType: 'V',
        Visibility: 'AllUsers',
      },
      {
        attributes: { type: 'ContentDocumentLink' },
        ContentDocumentId: noteId,
        LinkedEntityId: deal,
        ShareType: 'V',
        Visibility: 'AllUsers',
      },
    ]);
    expect(bad.status).toBe(200);
    const codes = (bad.json as { success: boolean; errors: { statusCode: string; fields: string[] }[] }[]).map((r) =>
      r.success ? 'ok' : `${r.errors[0]!.statusCode} ${r.errors[0]!.fields.join(',')}`,
    );
    expect(codes).toEqual([
      'REQUIRED_FIELD_MISSING Title',
      'JSON_PARSER_ERROR Content',
      'FIELD_INTEGRITY_EXCEPTION Content',
      'STRING_TOO_LONG Title',
      'INVALID_FIELD_FOR_INSERT_UPDATE FileType',
      'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST ShareType',
      'REQUIRED_FIELD_MISSING ShareType',
      'ok',
      'DUPLICATE_VALUE LinkedEntityId',
    ]);

    const unfiltered = await query('SELECT Id, LinkedEntityId FROM ContentDocumentLink');
    expect(unfiltered.status).toBe(400);
    expect(unfiltered.json).toEqual([
      {
        errorCode: 'MALFORMED_QUERY',
        message: expect.stringContaining('Implementation restriction: ContentDocumentLink requires a filter'),
      },
    ]);
    const byContent = await query("SELECT Id FROM ContentNote WHERE Content = 'abc'");
    expect(byContent.status).toBe(400);
    expect(byContent.json).toEqual([
      { errorCode: 'INVALID_FIELD', message: expect.stringContaining("field 'Content' can not be filtered") },
    ]);
    // Content in a query is the URL of the blob, which serves the note's HTML.
    const row = (await query(`SELECT Id, Content, FileType, TextPreview FROM ContentNote WHERE Id = '${noteId}'`)).json as {
      records: Record<string, string>[];
    };
    expect(row.records[0]).toMatchObject({
      FileType: 'SNOTE',
      TextPreview: 'fine',
      Content: `/services/data/v${sandbox.salesforce.apiVersion}/sobjects/ContentNote/${noteId}/Content`,
    });
    const blob = await fetch(`${sandbox.salesforce.instanceUrl}${row.records[0]!['Content']}`, {
      headers: { authorization: `Bearer ${sandbox.salesforce.accessToken}` },
    });
    expect(await blob.text()).toBe('<p>fine</p>');
  });
});
