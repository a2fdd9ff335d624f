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
      const result: QueryResult = parseWith(QueryResult, await this.client.get(url, { 'Sforce-Query-Options': `batchSize=${MAX_BATCH_SIZE}` }, options.signal), 'query result');
      yield result.records;
      // Paginate by the returned cursor only: a short page is not the last page.
      url = result.done ? null : (result.nextRecordsUrl ?? null);
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
