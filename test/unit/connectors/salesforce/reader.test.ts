/**
 * Salesforce's query pages and their (stamp, id) merge on their own, over a client that answers
 * from memory: the page cursors the pulls persist, the flush before every request, a re-query after
 * an expired locator. pull.test.ts and pull-resume.test.ts drive the same code through the connector.
 */
import { describe, expect, it } from 'vitest';
import { CrmError } from '../../../../src/domain/errors.js';
import type { SyncCursor } from '../../../../src/domain/model/index.js';
import type { SalesforceClient } from '../../../../connectors/salesforce/client.js';
import {
  MAX_BATCH_SIZE,
  maxCursor,
  mergeOrdered,
  minCursor,
  parseWith,
  SoqlReader,
  type OrderedSource,
} from '../../../../connectors/salesforce/reader.js';
import { QueryResult } from '../../../../connectors/salesforce/schemas.js';

type Row = { id: string; at: string };
const at = (minute: number) => `2026-11-26T10:${String(minute).padStart(2, '0')}:00.000Z`;
const row = (id: string, minute: number): Row => ({ id, at: at(minute) });

/** A source over fixed pages; `log` records each page request and each early close. */
function source(pages: Row[][], log: string[], name: string): OrderedSource<Row> {
  async function* gen() {
    try {
      for (const page of pages) {
        log.push(`${name} requested`);
        yield page;
      }
    } finally {
      log.push(`${name} closed`);
    }
  }
  return { pages: gen(), parse: (r) => r as Row, position: (r): SyncCursor => ({ stamp: r.at, id: r.id }) };
}

async function merged(sources: OrderedSource<Row>[]) {
  const out: { ids: string[]; cursor: SyncCursor }[] = [];
  for await (const page of mergeOrdered(sources)) out.push({ ids: page.rows.map((r) => r.id), cursor: page.cursor });
  return out;
}

describe('mergeOrdered', () => {
  it(
    'interleaves the queries by (stamp, id) and yields what it took before each further request, ' + 'each page cursored at its last row',
    async () => {
      const log: string[] = [];
      const pages = await merged([
        source([[row('a1', 1), row('a3', 3)], [row('a5', 5)]], log, 'A'),
        source([[row('b2', 2), row('b3', 3)], [row('b6', 6)]], log, 'B'),
      ]);
      expect(pages).toEqual([
        // A's first page is used up at a3: what was taken is yielded before A's next page is asked for.
        { ids: ['a1', 'b2', 'a3'], cursor: { stamp: at(3), id: 'a3' } },
        { ids: ['b3'], cursor: { stamp: at(3), id: 'b3' } },
        { ids: ['a5'], cursor: { stamp: at(5), id: 'a5' } },
        { ids: ['b6'], cursor: { stamp: at(6), id: 'b6' } },
      ]);
    },
  );

  it('takes the smaller id first at a shared stamp, and one query alone is passed through page by page', async () => {
    const log: string[] = [];
    expect(await merged([source([[row('x2', 1)]], log, 'A'), source([[row('x1', 1)]], log, 'B')])).toEqual([
      { ids: ['x1'], cursor: { stamp: at(1), id: 'x1' } },
      { ids: ['x2'], cursor: { stamp: at(1), id: 'x2' } },
    ]);
    expect(await merged([source([[row('a', 1), row('b', 2)], [], [row('c', 3)]], log, 'C')])).toEqual([
      { ids: ['a', 'b'], cursor: { stamp: at(2), id: 'b' } },
      { ids: ['c'], cursor: { stamp: at(3), id: 'c' } },
    ]);
    expect(await merged([source([[]], log, 'D'), source([], log, 'E')])).toEqual([]);
  });

  it('yields at most MAX_BATCH_SIZE rows a page', async () => {
    const log: string[] = [];
    const rows = Array.from({ length: MAX_BATCH_SIZE + 1 }, (_, i) => row(`r${String(i).padStart(5, '0')}`, 1));
    const pages = await merged([source([rows], log, 'A')]);
    expect(pages.map((p) => p.ids.length)).toEqual([MAX_BATCH_SIZE, 1]);
    expect(pages[0]?.cursor.id).toBe('r01999');
  });

  it('closes the queries still open when the consumer stops early', async () => {
    const log: string[] = [];
    const walk = mergeOrdered([source([[row('a1', 1)], [row('a2', 2)]], log, 'A'), source([[row('b9', 9)]], log, 'B')]);
    const first = await walk.next();
    expect(first.done ? [] : first.value.rows.map((r) => r.id)).toEqual(['a1']);
    await walk.return(undefined);
    expect(log.filter((l) => l.endsWith('closed')).sort()).toEqual(['A closed', 'B closed']);
  });
});

/** A client answering query URLs from `answers` in turn; a function answer is thrown. */
function queryClient(answers: (QueryResult | (() => never))[]) {
  const urls: { url: string; headers?: Record<string, string> }[] = [];
  let call = 0;
  const client = {
    dataPath: (suffix: string) => `/services/data/v62.0${suffix}`,
    async get(url: string, headers?: Record<string, string>) {
      urls.push({ url, ...(headers ? { headers } : {}) });
      const answer = answers[call++];
      if (answer === undefined) throw new Error(`no answer for ${url}`);
      return typeof answer === 'function' ? answer() : answer;
    },
  } as unknown as SalesforceClient;
  return { client, urls };
}

const expired = () => {
  throw new CrmError('CRM.BAD_REQUEST', 'invalid query locator', {
    provider: 'salesforce',
    status: 400,
    cause: { errorCode: 'INVALID_QUERY_LOCATOR' },
  });
};
const page = (records: unknown[], next?: string): QueryResult => ({
  totalSize: 99,
  done: next === undefined,
  records,
  ...(next ? { nextRecordsUrl: next } : {}),
});

describe('SoqlReader', () => {
  it('pages by nextRecordsUrl, asking for batches of 2,000, from /query or /queryAll', async () => {
    const { client, urls } = queryClient([page([1], '/next/2'), page([2])]);
    const reader = new SoqlReader(client);
    expect(await reader.all('SELECT Id FROM Task', { all: true })).toEqual([1, 2]);
    expect(urls).toEqual([
      { url: '/services/data/v62.0/queryAll?q=SELECT%20Id%20FROM%20Task', headers: { 'Sforce-Query-Options': 'batchSize=2000' } },
      { url: '/next/2', headers: { 'Sforce-Query-Options': 'batchSize=2000' } },
    ]);
    const plain = queryClient([page([])]);
    await new SoqlReader(plain.client).all('SELECT Id FROM Task', { all: false });
    expect(plain.urls[0]?.url).toBe('/services/data/v62.0/query?q=SELECT%20Id%20FROM%20Task');
  });

  it('counts by totalSize', async () => {
    const { client, urls } = queryClient([page([])]);
    expect(await new SoqlReader(client).count('SELECT COUNT() FROM Opportunity', { all: true })).toBe(99);
    expect(urls).toEqual([{ url: '/services/data/v62.0/queryAll?q=SELECT%20COUNT()%20FROM%20Opportunity' }]);
  });

  it('re-sends an ordered query from the last stamp read when its locator expired, and gives up when that stamp did not move', async () => {
    const rows = [{ at: '2026-11-26T10:01:00.000+0000' }, { at: '2026-11-26T10:02:00.000+0000' }];
    const { client } = queryClient([page(rows, '/next/2'), expired, page([{ at: '2026-11-26T10:03:00.000+0000' }])]);
    const froms: (string | null)[] = [];
    const reader = new SoqlReader(client);
    const stampOf = (r: unknown) => (r as { at?: string }).at ?? null;
    const got: unknown[][] = [];
    for await (const p of reader.orderedPages((from) => (froms.push(from), 'SELECT x'), null, stampOf, { all: false })) got.push(p);
    expect(froms).toEqual([null, '2026-11-26T10:02:00.000Z']);
    expect(got.flat().length).toBe(3);

    const stuck = queryClient([page(rows, '/next/2'), expired, expired]);
    await expect(
      collectPages(new SoqlReader(stuck.client).orderedPages(() => 'SELECT x', null, stampOf, { all: false })),
    ).rejects.toMatchObject({ cause: { errorCode: 'INVALID_QUERY_LOCATOR' } });

    // Nothing read yet: nothing to re-query from.
    const early = queryClient([expired]);
    await expect(
      collectPages(new SoqlReader(early.client).orderedPages(() => 'SELECT x', null, stampOf, { all: false })),
    ).rejects.toBeInstanceOf(CrmError);
    // Another error is not a locator to renew.
    const other = queryClient([
      page(rows, '/next/2'),
      () => {
        throw new CrmError('CRM.TRANSIENT', 'down', { provider: 'salesforce', status: 503 });
      },
    ]);
    await expect(
      collectPages(new SoqlReader(other.client).orderedPages(() => 'SELECT x', null, stampOf, { all: false })),
    ).rejects.toMatchObject({ code: 'CRM.TRANSIENT' });
  });

  it('names what it could not read in a CRM error', () => {
    expect(() => parseWith(QueryResult, { done: 'yes' }, 'query result')).toThrow(/^unexpected Salesforce query result: /);
    try {
      parseWith(QueryResult, {}, 'count result');
    } catch (error) {
      expect(error).toMatchObject({ code: 'CRM.BAD_REQUEST', provider: 'salesforce' });
    }
  });
});

async function collectPages(pages: AsyncIterable<unknown[]>): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const p of pages) out.push(p);
  return out;
}

describe('cursor order', () => {
  const a = { stamp: at(1), id: 'b' };
  const b = { stamp: at(2), id: 'a' };
  // Of two equal cursors min keeps the first and max the second.
  it('minCursor and maxCursor: by stamp, then id; a null side yields the other', () => {
    expect(minCursor(a, b)).toBe(a);
    expect(minCursor(b, a)).toBe(a);
    expect(maxCursor(a, b)).toBe(b);
    expect(maxCursor(b, a)).toBe(b);
    const sameStampLowerId = { stamp: at(1), id: 'a' };
    expect(minCursor(a, sameStampLowerId)).toBe(sameStampLowerId);
    expect(maxCursor(sameStampLowerId, a)).toBe(a);
    expect(minCursor(null, a)).toBe(a);
    expect(minCursor(a, null)).toBe(a);
    expect(maxCursor(null, b)).toBe(b);
    expect(maxCursor(b, null)).toBe(b);
    expect(minCursor(null, null)).toBeNull();
    expect(maxCursor(null, null)).toBeNull();
    const twin = { ...a };
    expect(minCursor(a, twin)).toBe(a);
    expect(maxCursor(a, twin)).toBe(twin);
  });
});

describe('SoqlReader parse errors', () => {
  it('names a query page and a count answer it could not read', async () => {
    const bad = { done: 'no' } as unknown as QueryResult;
    const pages = queryClient([bad]);
    await expect(new SoqlReader(pages.client).all('SELECT Id FROM Task', { all: false })).rejects.toThrow(
      /^unexpected Salesforce query result: /,
    );
    const count = queryClient([bad]);
    await expect(new SoqlReader(count.client).count('SELECT COUNT() FROM Task', { all: false })).rejects.toThrow(
      /^unexpected Salesforce count result: /,
    );
  });
});
