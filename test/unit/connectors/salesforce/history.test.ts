/**
 * The history pull on its own (pullHistory), over a SoqlReader whose client answers from memory:
 * the two logs merged into stage moves and field changes, the look-up of each deal's stage before
 * the lower bound, the re-query after an expired locator, the signal on every request, and the
 * errors naming the log a row could not be read from. pull.test.ts drives it through the connector.
 */
import { describe, expect, it } from 'vitest';
import { CrmError } from '../../../../src/domain/errors.js';
import type { SalesforceClient } from '../../../../connectors/salesforce/client.js';
import { pullHistory } from '../../../../connectors/salesforce/history.js';
import { SoqlReader } from '../../../../connectors/salesforce/reader.js';
import type { HistoryPage } from '../../../../connectors/types.js';

const at = (minute: number) => `2026-11-26T10:${String(minute).padStart(2, '0')}:00.000+0000`;
const iso = (minute: number) => `2026-11-26T10:${String(minute).padStart(2, '0')}:00.000Z`;
const stage = (id: string, deal: string, name: string | null, minute: number) => ({
  Id: id,
  OpportunityId: deal,
  StageName: name,
  Amount: 100,
  CloseDate: '2026-12-31',
  CreatedDate: at(minute),
});
const field = (id: string, deal: string, name: string, oldValue: unknown, newValue: unknown, minute: number) => ({
  Id: id,
  OpportunityId: deal,
  Field: name,
  OldValue: oldValue,
  NewValue: newValue,
  CreatedDate: at(minute),
});

type Answer = { records: unknown[]; next?: string } | 'expired';

/**
 * A client answering each query by the object it reads (`stages`, `fields`, `lookup` for the
 * earlier-stage query) and each nextRecordsUrl by name; answers are taken in turn.
 */
function historyClient(answers: { stages: Answer[]; fields: Answer[]; lookup?: Answer[]; next?: Record<string, Answer[]> }) {
  const queries: string[] = [];
  const signals: (AbortSignal | undefined)[] = [];
  const take = (list: Answer[] | undefined, what: string) => {
    const answer = list?.shift();
    if (answer === undefined) throw new Error(`no answer for ${what}`);
    if (answer === 'expired')
      throw new CrmError('CRM.BAD_REQUEST', 'invalid query locator', {
        provider: 'salesforce',
        status: 400,
        cause: { errorCode: 'INVALID_QUERY_LOCATOR' },
      });
    return {
      totalSize: answer.records.length,
      done: answer.next === undefined,
      records: answer.records,
      ...(answer.next ? { nextRecordsUrl: answer.next } : {}),
    };
  };
  const client = {
    dataPath: (suffix: string) => `/services/data/v62.0${suffix}`,
    async get(url: string, _headers: Record<string, string> | undefined, signal?: AbortSignal) {
      signals.push(signal);
      if (url.startsWith('/next/')) return take(answers.next?.[url], url);
      const q = new URL(url, 'https://x').searchParams.get('q') ?? '';
      queries.push(`${url.includes('/queryAll?') ? 'queryAll' : 'query'}: ${q}`);
      if (q.includes('WHERE OpportunityId IN')) return take(answers.lookup, q);
      if (q.includes('FROM OpportunityFieldHistory')) return take(answers.fields, q);
      if (q.includes('FROM OpportunityHistory')) return take(answers.stages, q);
      throw new Error(`unexpected query ${q}`);
    },
  } as unknown as SalesforceClient;
  return { reader: new SoqlReader(client), queries, signals };
}

async function collect(pages: AsyncIterable<HistoryPage>): Promise<HistoryPage[]> {
  const out: HistoryPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('pullHistory', () => {
  it('merges the logs by (CreatedDate, Id): stage rows are moves, field rows changes, a page cursored at its last row', async () => {
    const { reader, queries } = historyClient({
      stages: [{ records: [stage('h1', 'o1', 'Prospecting', 1), stage('h2', 'o1', 'Proposal', 3)] }],
      fields: [{ records: [field('f1', 'o1', 'Amount', 100, 250, 2), field('f2', 'o1', 'Description', 'a', 'b', 2)] }],
    });
    const pages = await collect(pullHistory(reader, 'sf1', null));
    expect(pages.flatMap((p) => p.stageChanges)).toEqual([
      { connectionId: 'sf1', dealId: 'o1', fromStageId: null, toStageId: 'Prospecting', at: iso(1), amount: 100, closeDate: '2026-12-31' },
      {
        connectionId: 'sf1',
        dealId: 'o1',
        fromStageId: 'Prospecting',
        toStageId: 'Proposal',
        at: iso(3),
        amount: 100,
        closeDate: '2026-12-31',
      },
    ]);
    expect(pages.flatMap((p) => p.fieldChanges)).toEqual([
      { connectionId: 'sf1', dealId: 'o1', field: 'amount', oldValue: '100', newValue: '250', at: iso(2) },
    ]);
    expect(pages.at(-1)?.cursor).toEqual({ stamp: iso(3), id: 'h2' });
    // Both logs from /query (deleted history rows are not read), no lower bound, no look-up.
    expect(queries).toEqual([
      `query: SELECT Id, OpportunityId, StageName, Amount, CloseDate, CreatedDate FROM OpportunityHistory ORDER BY CreatedDate, Id`,
      'query: SELECT Id, OpportunityId, Field, OldValue, NewValue, CreatedDate FROM OpportunityFieldHistory ' +
        "WHERE Field IN ('CloseDate', 'Amount') ORDER BY CreatedDate, Id",
    ]);
  });

  // A row without a stage leaves the deal's earlier stage unknown; deals already seen are not looked up.
  it('from a lower bound, a deal first seen moves from its latest earlier stage, looked up once', async () => {
    const from = iso(10);
    const { reader, queries } = historyClient({
      stages: [{ records: [stage('h5', 'o1', 'Negotiation', 11)], next: '/next/s2' }],
      next: { '/next/s2': [{ records: [stage('h6', 'o1', 'Closed Won', 12), stage('h7', 'o2', 'Proposal', 13)] }] },
      // A field change of a deal with no stage row: no stage to look up for it.
      fields: [{ records: [field('f9', 'o9', 'Amount', 1, 2, 14)] }],
      lookup: [{ records: [stage('h1', 'o1', 'Qualification', 2), stage('h2', 'o1', null, 3)] }, { records: [] }],
    });
    const pages = await collect(pullHistory(reader, 'sf1', from));
    expect(pages.flatMap((p) => p.stageChanges).map((c) => [c.dealId, c.fromStageId, c.toStageId])).toEqual([
      ['o1', 'Qualification', 'Negotiation'],
      ['o1', 'Negotiation', 'Closed Won'],
      ['o2', null, 'Proposal'],
    ]);
    const lookups = queries.filter((q) => q.includes('WHERE OpportunityId IN'));
    expect(lookups).toEqual([
      'query: SELECT Id, OpportunityId, StageName, CreatedDate FROM OpportunityHistory ' +
        "WHERE OpportunityId IN ('o1') AND CreatedDate < 2026-11-26T10:10:00Z ORDER BY CreatedDate, Id",
      // o1 was resolved on the first page: only o2 is looked up on the second.
      'query: SELECT Id, OpportunityId, StageName, CreatedDate FROM OpportunityHistory ' +
        "WHERE OpportunityId IN ('o2') AND CreatedDate < 2026-11-26T10:10:00Z ORDER BY CreatedDate, Id",
    ]);
    expect(queries[0]).toContain('FROM OpportunityHistory WHERE CreatedDate >= 2026-11-26T10:10:00Z');
  });

  it('looks up at most 200 deals a query', async () => {
    const rows = Array.from({ length: 201 }, (_, i) => stage(`h${i}`, `o${String(i).padStart(3, '0')}`, 'Proposal', 11));
    const { reader, queries } = historyClient({
      stages: [{ records: rows }],
      fields: [{ records: [] }],
      lookup: [{ records: [] }, { records: [] }],
    });
    await collect(pullHistory(reader, 'sf1', iso(10)));
    const lookups = queries.filter((q) => q.includes('WHERE OpportunityId IN'));
    expect(lookups.map((q) => q.split("', '").length)).toEqual([200, 1]);
  });

  it("re-sends a log's query from the CreatedDate of the last row read when its locator expired", async () => {
    const { reader, queries } = historyClient({
      stages: [
        { records: [stage('h1', 'o1', 'Prospecting', 1)], next: '/next/s2' },
        { records: [stage('h1', 'o1', 'Prospecting', 1), stage('h2', 'o1', 'Proposal', 4)] },
      ],
      next: { '/next/s2': ['expired'] },
      fields: [{ records: [] }],
    });
    const pages = await collect(pullHistory(reader, 'sf1', null));
    expect(queries.filter((q) => q.includes('FROM OpportunityHistory'))).toEqual([
      'query: SELECT Id, OpportunityId, StageName, Amount, CloseDate, CreatedDate FROM OpportunityHistory ORDER BY CreatedDate, Id',
      'query: SELECT Id, OpportunityId, StageName, Amount, CloseDate, CreatedDate FROM OpportunityHistory ' +
        'WHERE CreatedDate >= 2026-11-26T10:01:00Z ORDER BY CreatedDate, Id',
    ]);
    expect(pages.flatMap((p) => p.stageChanges).map((c) => c.toStageId)).toEqual(['Prospecting', 'Proposal']);
  });

  it("passes the caller's signal to every request", async () => {
    const signal = new AbortController().signal;
    const { reader, signals } = historyClient({
      stages: [{ records: [stage('h5', 'o1', 'Negotiation', 11)] }],
      fields: [{ records: [field('f1', 'o1', 'CloseDate', '2026-12-01', '2026-12-31', 12)] }],
      lookup: [{ records: [] }],
    });
    await collect(pullHistory(reader, 'sf1', iso(10), signal));
    expect(signals).toHaveLength(3);
    for (const s of signals) expect(s).toBe(signal);
  });

  it('names the log a row could not be read from', async () => {
    const bad = { Id: 'x', CreatedDate: at(1) };
    await expect(
      collect(pullHistory(historyClient({ stages: [{ records: [bad] }], fields: [{ records: [] }] }).reader, 'sf1', null)),
    ).rejects.toThrow(/OpportunityHistory/);
    await expect(
      collect(pullHistory(historyClient({ stages: [{ records: [] }], fields: [{ records: [bad] }] }).reader, 'sf1', null)),
    ).rejects.toThrow(/OpportunityFieldHistory/);
    const lookupBad = historyClient({
      stages: [{ records: [stage('h5', 'o1', 'Negotiation', 11)] }],
      fields: [{ records: [] }],
      lookup: [{ records: [bad] }],
    });
    await expect(collect(pullHistory(lookupBad.reader, 'sf1', iso(10)))).rejects.toThrow(/unexpected Salesforce OpportunityHistory/);
  });
});
