/**
 * Reads SOQL results page by page. REST pages follow nextRecordsUrl within one pull only (query
 * cursors expire after 15 idle minutes, so none is ever persisted); Bulk API 2.0 rows arrive as CSV.
 */
import { z } from 'zod';
import { CrmError } from '../../src/domain/errors.js';
import type { SyncCursor } from '../../src/domain/model/index.js';
import { chunks } from '../shared/chunks.js';
import type { SalesforceClient } from './client.js';
import { toIso } from './mappers.js';
import { QueryResult } from './schemas.js';

/** Largest REST query batch. https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm */
export const MAX_BATCH_SIZE = 2000;
/**
 * Rows per Bulk API 2.0 result request: one page (~1-2 MB of CSV) in memory at a time. Measured on the
 * sandbox (20,000 deals, 233,000 activities): 50,000 -> 347 MB peak RSS, 10,000 -> 291 MB for 24 more calls.
 * Pages handed to the sync are still MAX_BATCH_SIZE rows.
 */
export const BULK_RESULT_PAGE = 10_000;

export class SoqlReader {
  constructor(private readonly client: SalesforceClient) {}

  /**
   * GET /query or /queryAll (deleted rows included, IsDeleted = true), then each nextRecordsUrl.
   * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_queryall.htm
   */
  async *pages(soql: string, options: { all: boolean; signal?: AbortSignal | undefined }): AsyncIterable<unknown[]> {
    let url: string | null = this.client.dataPath(`/${options.all ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`);
    while (url) {
      const result: QueryResult = parseWith(
        QueryResult,
        await this.client.get(url, { 'Sforce-Query-Options': `batchSize=${MAX_BATCH_SIZE}` }, options.signal),
        'query result',
      );
      yield result.records;
      // Paginate by the returned cursor only: a short page is not the last page.
      url = result.done ? null : (result.nextRecordsUrl ?? null);
    }
  }

  /**
   * Pages of a query ordered by (stamp, Id) from `from` (inclusive), as `pages`; when its locator has
   * expired meanwhile (a merged query waits while the other one is read, and locators expire after 15
   * idle minutes), the query is sent again from the stamp of the last row read, so no row is skipped
   * (rows sharing that stamp come again: duplicates are harmless). Gives up when that stamp has not
   * moved since the last such restart.
   */
  async *orderedPages(
    query: (from: string | null) => string,
    from: string | null,
    stampOf: (row: unknown) => string | null,
    options: { all: boolean; signal?: AbortSignal | undefined },
  ): AsyncIterable<unknown[]> {
    let at = from;
    let restartedAt: string | null = null;
    for (;;) {
      try {
        for await (const rows of this.pages(query(at), options)) {
          yield rows;
          // Stryker disable next-line ConditionalExpression,EqualityOperator: the stampOf functions read an absent row as null
          const last = rows.length > 0 ? stampOf(rows[rows.length - 1]) : null;
          if (last !== null) at = toIso(last);
        }
        return;
      } catch (err) {
        if (!isExpiredLocator(err) || at === null || at === restartedAt) throw err;
        restartedAt = at;
      }
    }
  }

  /** Every row of a (small) query. */
  async all(soql: string, options: { all: boolean; signal?: AbortSignal | undefined }): Promise<unknown[]> {
    const rows: unknown[] = [];
    for await (const page of this.pages(soql, options)) rows.push(...page);
    return rows;
  }

  /** `SELECT COUNT() FROM ...`: the answer is totalSize. */
  async count(soql: string, options: { all: boolean; signal?: AbortSignal | undefined }): Promise<number> {
    const url = this.client.dataPath(`/${options.all ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`);
    return parseWith(QueryResult, await this.client.get(url, undefined, options.signal), 'count result').totalSize;
  }

  /** Bulk API 2.0 rows, reshaped like REST records (`Account.Name` -> `{ Account: { Name } }`). */
  async *bulkPages(soql: string, options: { all: boolean; signal?: AbortSignal | undefined }): AsyncIterable<unknown[]> {
    for await (const rows of this.client.bulkQuery(soql, { scanAll: options.all, maxRecords: BULK_RESULT_PAGE, signal: options.signal })) {
      for (const batch of chunks(rows, MAX_BATCH_SIZE)) yield batch.map(unflatten);
    }
  }
}

/**
 * One query's pages for `mergeOrdered`: rows ordered by (stamp, Id) on the server, parsed into `R`.
 * `position` is the row's (stamp, id) in that order.
 */
export interface OrderedSource<R> {
  pages: AsyncIterable<unknown[]>;
  parse(row: unknown): R;
  position(row: R): SyncCursor;
}

/** Rows of one merged page, in (stamp, id) order, and the position of its last row. */
export interface MergedPage<R> {
  rows: R[];
  cursor: SyncCursor;
}

/**
 * Merges queries ordered by (stamp, Id) into one stream in that order (Task + Event, OpportunityHistory +
 * OpportunityFieldHistory), so that every page carries a cursor that is safe for all of them: when a
 * page ends at (stamp, id), every row of every query before it is in this page or an earlier one, and
 * what any query still holds comes after it. That cursor is the smallest frontier of the queries still
 * being read. Each query is read page by page as the merge needs its next row (no call is added); the
 * rows taken so far are yielded before every request, and at most MAX_BATCH_SIZE at a time, so a stop
 * (quota, crash) never loses a row that was read, and memory holds one page per query.
 */
export async function* mergeOrdered<R>(sources: OrderedSource<R>[]): AsyncGenerator<MergedPage<R>> {
  const states = sources.map((source) => ({
    source,
    it: source.pages[Symbol.asyncIterator](),
    rows: [] as R[],
    at: 0,
    head: null as SyncCursor | null,
    done: false,
  }));
  const advance = (state: (typeof states)[number]): void => {
    const row = state.rows[state.at];
    state.head = row === undefined ? null : state.source.position(row);
  };
  let out: R[] = [];
  let cursor: SyncCursor | null = null;
  const flush = (): MergedPage<R> | null => {
    if (out.length === 0 || cursor === null) return null;
    const page = { rows: out, cursor };
    out = [];
    return page;
  };
  try {
    yield* mergeLoop();
  } finally {
    // A consumer that stops early (break, error) ends the queries still open too.
    // Stryker disable next-line MethodExpression,OptionalChaining: an async generator has return(), and returning a finished one is a no-op
    await Promise.all(states.filter((s) => !s.done).map((s) => s.it.return?.()));
  }

  async function* mergeLoop(): AsyncGenerator<MergedPage<R>> {
    for (;;) {
      for (const state of states) {
        while (!state.done && state.at >= state.rows.length) {
          const page = flush();
          if (page) yield page;
          const next = await state.it.next();
          if (next.done) state.done = true;
          else {
            state.rows = next.value.map((row) => state.source.parse(row));
            state.at = 0;
            advance(state);
          }
        }
      }
      let best: (typeof states)[number] | null = null;
      let bestAt: SyncCursor | null = null;
      for (const state of states) {
        const at = state.head;
        // Stryker disable next-line ConditionalExpression: a null head never wins below (`bestAt === null` first, minCursor(null, b) is b)
        if (at === null) continue;
        if (bestAt === null || (minCursor(at, bestAt) === at && !sameCursor(at, bestAt))) [best, bestAt] = [state, at];
      }
      if (best === null || bestAt === null) break;
      out.push(best.rows[best.at] as R);
      best.at += 1;
      advance(best);
      // Stamps never go back; ids of different objects may interleave differently from the server's order,
      // which does not matter: a resume re-reads from the stamp minus the look-back.
      cursor = maxCursor(cursor, bestAt);
      if (out.length >= MAX_BATCH_SIZE) {
        const page = flush();
        if (page) yield page;
      }
    }
    const last = flush();
    if (last) yield last;
  }
}

const sameCursor = (a: SyncCursor, b: SyncCursor): boolean => a.stamp === b.stamp && a.id === b.id;

/** True when Salesforce no longer knows a query locator (expired after 15 idle minutes, or one of more than 10 open). */
export function isExpiredLocator(err: unknown): boolean {
  const cause = err instanceof CrmError ? (err.cause as { errorCode?: unknown } | undefined) : undefined;
  return cause?.errorCode === 'INVALID_QUERY_LOCATOR';
}

/** CSV columns of relationship fields are dotted paths; nest them as the JSON API does. */
export function unflatten(row: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    const parts = key.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      node = (typeof next === 'object' && next !== null ? next : (node[part] = {})) as Record<string, unknown>;
    }
    node[parts[parts.length - 1] as string] = value;
  }
  return out;
}

/** zod parse whose failure is a CrmError naming what Salesforce sent that we could not read. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new CrmError('CRM.BAD_REQUEST', `unexpected Salesforce ${what}: ${z.prettifyError(result.error)}`, { provider: 'salesforce' });
  }
  return result.data;
}

/** Position of a record in (stamp, id) order. */
export const cursorOf = (stamp: string, id: string): SyncCursor => ({ stamp: toIso(stamp), id });

/** The earlier of two cursors (null = none yet). */
export function minCursor(a: SyncCursor | null, b: SyncCursor | null): SyncCursor | null {
  if (!a) return b;
  if (!b) return a;
  return a.stamp < b.stamp || (a.stamp === b.stamp && a.id <= b.id) ? a : b;
}

/** The later of two cursors (null = none yet). */
export function maxCursor(a: SyncCursor | null, b: SyncCursor | null): SyncCursor | null {
  if (!a) return b;
  if (!b) return a;
  return minCursor(a, b) === a ? b : a;
}
