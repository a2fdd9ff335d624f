import { describe, expect, it } from 'vitest';
import { cursorOf, mergeByFrontier } from '../../../../connectors/hubspot/activity-merge.js';
import type { ChangedPage } from '../../../../connectors/hubspot/paging.js';
import type { Page } from '../../../../connectors/types.js';

// The incremental activity pull's merge of one search per type, driven with scripted searches: which
// search is read next, when held pages are linked and yielded, and the cursor each page carries.

const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const min = (n: number) => T0 + n * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A search page of `n` records ending at minute `m` (ids `<prefix><m>-<i>`). */
function page(prefix: string, m: number, n = 1): ChangedPage {
  const records = Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${m}-${i}`,
    properties: {},
    createdAt: iso(min(m)),
    updatedAt: iso(min(m)),
    archived: false,
  }));
  return { records, frontierMs: min(m), frontierId: records[n - 1]!.id };
}

interface Script {
  /** Search reads in order, as `type:page index`, and `type:done` for an exhausted search. */
  reads: string[];
  /** Links reads in order: the type and the ids asked for. */
  links: { type: string; ids: string[] }[];
}

function searchesOf(types: Record<string, ChangedPage[]>, script: Script) {
  return Object.entries(types).map(([type, pages]) => {
    let i = 0;
    const it: AsyncIterator<ChangedPage> = {
      next: async () => {
        if (i >= pages.length) {
          script.reads.push(`${type}:done`);
          return { done: true, value: undefined };
        }
        script.reads.push(`${type}:${i}`);
        return { done: false, value: pages[i++]! };
      },
    };
    return { type, pages: it };
  });
}

async function run(
  types: Record<string, ChangedPage[]>,
  options: { since?: number; batchLimit?: number; pageLimit?: number; linkOf?: (id: string) => string[] | undefined } = {},
) {
  const script: Script = { reads: [], links: [] };
  const out: Page<{ id: string; type: string; deals: string[] }>[] = [];
  const since = cursorOf(options.since ?? min(0), 'since');
  for await (const p of mergeByFrontier({
    searches: searchesOf(types, script),
    fromMs: min(0),
    since,
    links: async (type, ids) => {
      script.links.push({ type, ids });
      const linked = new Map<string, string[]>();
      for (const id of ids) {
        const deals = (options.linkOf ?? ((x: string) => [`deal-of-${x}`]))(id);
        if (deals) linked.set(id, deals);
      }
      return linked;
    },
    map: (raw, type, deals) => ({ id: raw.id, type, deals }),
    batchLimit: options.batchLimit ?? 1,
    pageLimit: options.pageLimit ?? 1,
  })) {
    out.push(p);
  }
  return { out, script, since };
}

describe('HubSpot activity merge (mergeByFrontier)', () => {
  it('cursorOf names the instant as an ISO stamp and the id', () => {
    expect(cursorOf(min(3), 'x7')).toEqual({ stamp: '2026-11-26T10:03:00.000Z', id: 'x7' });
  });

  it('reads from the search furthest behind; a page carries the smallest frontier of the types still walking', async () => {
    // Limits of 1: every page is linked and yielded as soon as it is read.
    const { out, script } = await run({
      calls: [page('c', 1), page('c', 5), page('c', 9)],
      emails: [page('e', 3), page('e', 4)],
    });
    // Both start at fromMs: calls (first listed) goes first; then always the one further behind.
    expect(script.reads).toEqual(['calls:0', 'emails:0', 'calls:1', 'emails:1', 'emails:done', 'calls:2', 'calls:done']);
    expect(out.map((p) => p.records.map((r) => r.id))).toEqual([['c1-0'], ['e3-0'], ['c5-0'], ['e4-0'], ['c9-0']]);
    expect(out.map((p) => p.cursor)).toEqual([
      // emails has yielded nothing yet: the cursor stays at the pull's own (min 0)
      cursorOf(min(0), 'since'),
      // calls yielded min 1, emails min 3: the laggard is calls
      cursorOf(min(1), 'c1-0'),
      cursorOf(min(3), 'e3-0'),
      cursorOf(min(4), 'e4-0'),
      // emails is done and out: calls alone walks
      cursorOf(min(9), 'c9-0'),
    ]);
    // No closing page: the last page's cursor is already the furthest frontier.
  });

  it('links the records of each yielded page, and a record without links gets none', async () => {
    const { out, script } = await run(
      { notes: [page('n', 2, 3)] },
      { batchLimit: 10, pageLimit: 1, linkOf: (id) => (id === 'n2-1' ? undefined : [`d-${id}`]) },
    );
    expect(script.links).toEqual([{ type: 'notes', ids: ['n2-0', 'n2-1', 'n2-2'] }]);
    expect(out[0]!.records).toEqual([
      { id: 'n2-0', type: 'notes', deals: ['d-n2-0'] },
      { id: 'n2-1', type: 'notes', deals: [] },
      { id: 'n2-2', type: 'notes', deals: ['d-n2-2'] },
    ]);
    expect(out[0]!.tombstones).toEqual([]);
  });

  it("holds a type's pages until one more page could pass the batch limit, then links them with one read, in page order", async () => {
    // batchLimit 6, pageLimit 2: held ids 2, 4 (4 + 2 = 6, not over), 6 (6 + 2 > 6: flush).
    const { out, script } = await run(
      { tasks: [page('t', 1, 2), page('t', 2, 2), page('t', 3, 2), page('t', 4, 2)] },
      { batchLimit: 6, pageLimit: 2 },
    );
    expect(script.links).toEqual([
      { type: 'tasks', ids: ['t1-0', 't1-1', 't2-0', 't2-1', 't3-0', 't3-1'] },
      { type: 'tasks', ids: ['t4-0', 't4-1'] },
    ]);
    expect(script.reads).toEqual(['tasks:0', 'tasks:1', 'tasks:2', 'tasks:3', 'tasks:done']);
    expect(out.map((p) => p.records.map((r) => r.id))).toEqual([
      ['t1-0', 't1-1'],
      ['t2-0', 't2-1'],
      ['t3-0', 't3-1'],
      ['t4-0', 't4-1'],
      [],
    ]);
    // A lone type's cursor follows its own yielded pages; its last page is out when no type is
    // walking any more, so it keeps the cursor before it and the closing page carries the frontier.
    expect(out.map((p) => p.cursor)).toEqual([
      cursorOf(min(1), 't1-1'),
      cursorOf(min(2), 't2-1'),
      cursorOf(min(3), 't3-1'),
      cursorOf(min(3), 't3-1'),
      cursorOf(min(4), 't4-1'),
    ]);
  });

  it('no page cursor passes a type that holds pages ahead of a type that lags (the laggard, not the leader, sets it)', async () => {
    // calls is flushed page by page (limit 1); meetings lags far behind and is read last.
    const { out } = await run(
      {
        calls: [page('c', 2), page('c', 4), page('c', 6)],
        meetings: [page('m', 1)],
      },
      { batchLimit: 1, pageLimit: 1 },
    );
    // Reads: calls:0 (min 2; both at fromMs, first listed), meetings:0 (min 1), meetings:done,
    // calls:1 ...: the meeting at min 1 comes out after the call at min 2.
    const seq = out.map((p) => [p.records.map((r) => r.id).join(','), p.cursor?.stamp]);
    expect(seq).toEqual([
      // meetings yielded nothing yet: its yielded frontier is fromMs, the cursor stays at min 0
      ['c2-0', iso(min(0))],
      // both walking, calls yielded min 2 and meetings min 1: the laggard's min 1, not the leader's
      ['m1-0', iso(min(1))],
      // meetings is done and out: calls alone sets the cursor
      ['c4-0', iso(min(4))],
      ['c6-0', iso(min(6))],
    ]);
  });

  it('a finished type still holds the cursor back until its last held page is out', async () => {
    // emails holds two pages (limit 10) and finishes; calls walks ahead of it page by page.
    const { out } = await run(
      {
        emails: [page('e', 1), page('e', 2)],
        calls: [page('c', 3), page('c', 4)],
      },
      { batchLimit: 10, pageLimit: 1 },
    );
    // emails holds both its pages until it is done, calls too (limit 10): calls' pages come out at
    // its end while emails still walks (nothing yielded), so their cursor stays at the pull's.
    const ids = out.map((p) => p.records.map((r) => r.id).join(','));
    expect(ids).toEqual(['e1-0', 'e2-0', 'c3-0', 'c4-0', '']);
    // emails' pages: calls still walks with nothing yielded (fromMs): min 0. calls' pages: emails
    // is out, calls alone: its own yielded frontier, except the very last one (nobody walking).
    expect(out.map((p) => p.cursor?.stamp)).toEqual([iso(min(0)), iso(min(0)), iso(min(3)), iso(min(3)), iso(min(4))]);
  });

  it("never yields a cursor behind the pull's own, and no closing page when nothing is past it", async () => {
    // The searches start 5 minutes before the pull's cursor (look-back): records there do not move it back.
    const { out, since } = await run({ calls: [page('c', 1), page('c', 2)], notes: [page('n', 3)] }, { since: min(5) });
    expect(out.map((p) => p.cursor)).toEqual([since, since, since]);
    expect(out.map((p) => p.records.length)).toEqual([1, 1, 1]);
  });

  it('closes with the furthest frontier and the id of the type that reached it', async () => {
    const { out } = await run({ calls: [page('c', 1)], emails: [page('e', 7)], notes: [page('n', 4)] }, { batchLimit: 10, pageLimit: 1 });
    expect(out.at(-1)).toEqual({ records: [], tombstones: [], cursor: cursorOf(min(7), 'e7-0') });
  });

  it('yields nothing when every search is empty', async () => {
    const { out, script } = await run({ calls: [], emails: [] });
    expect(out).toEqual([]);
    expect(script.links).toEqual([]);
    expect(script.reads).toEqual(['calls:done', 'emails:done']);
  });
});
