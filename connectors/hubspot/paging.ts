/**
 * The two ways records are walked: list endpoints (full syncs) and search on hs_lastmodifieddate
 * (incremental), each paginated by the returned `paging.next.after` only.
 */
import { CrmError } from '../../src/domain/errors.js';
import type { HubSpotClient, HubSpotObjectType, SearchRequest } from './client.js';
import { compareIds, toEpochMs } from './mappers.js';
import { ListResponse, type RawObject, SearchResponse } from './schemas.js';

/** Largest page of the list endpoints. */
export const LIST_LIMIT = 100;
/** Largest page of the search endpoints. */
export const SEARCH_LIMIT = 200;
/** Search answers at most this many results per query; asking past it is a 400. */
export const SEARCH_CAP = 10_000;

/**
 * Largest page of the list endpoints when `propertiesWithHistory` is asked for ("usage of this
 * parameter will reduce the maximum number of objects that can be read by a single request";
 * HubSpot and the sandbox answer 400 above 50).
 * https://developers.hubspot.com/docs/api-reference/crm-objects-v3/basic/get-crm-v3-objects-objectType
 */
export const LIST_HISTORY_LIMIT = 50;

/** A page of a list walk and the token of the page after it. */
export interface ListPage {
  records: RawObject[];
  /** `paging.next.after` as returned; `null` on the last page. */
  next: string | null;
}

/** Where a list walk starts: a token a previous page returned, kept (possibly across runs). */
export interface ListFrom {
  after: string;
  /** Called when HubSpot refuses the kept token (400): the list is then walked from its beginning. */
  rejected?: (error: CrmError) => void;
}

/**
 * Every record of a type through the list endpoint, page by page, from the beginning or from a
 * token a previous page returned. HubSpot's list tokens have so far been positions in id order
 * (they resume a walk on a later run); should one be refused, the list starts over, which re-reads
 * records (harmless: upserts) and never skips one.
 */
export async function* listPages(
  client: HubSpotClient,
  type: HubSpotObjectType,
  query: { properties: string[]; propertiesWithHistory?: string[]; associations?: string[]; archived?: boolean },
  signal?: AbortSignal,
  from?: ListFrom,
): AsyncGenerator<ListPage> {
  const limit = query.propertiesWithHistory && query.propertiesWithHistory.length > 0 ? LIST_HISTORY_LIMIT : LIST_LIMIT;
  let after: string | undefined = from?.after;
  let kept = from !== undefined;
  for (;;) {
    let response: Awaited<ReturnType<HubSpotClient['listObjects']>>;
    try {
      response = await client.listObjects(type, { limit, after, ...query }, signal);
    } catch (error) {
      if (!kept || !(error instanceof CrmError) || error.code !== 'CRM.BAD_REQUEST' || error.status !== 400) throw error;
      // Stryker disable next-line OptionalChaining: `kept` is true only when `from` was given
      from?.rejected?.(error);
      kept = false;
      after = undefined;
      continue;
    }
    kept = false;
    const page = ListResponse.parse(response.body);
    // A page may be shorter than the limit and still have a next one: only `paging.next.after` ends the walk.
    after = page.paging?.next?.after || undefined;
    yield { records: page.results ?? [], next: after ?? null };
    if (!after) return;
  }
}

/** A page of search results and where the walk stands after it. */
export interface ChangedPage {
  records: RawObject[];
  /** hs_lastmodifieddate (ms) of the last record: every record modified before it has been yielded. */
  frontierMs: number;
  /** Largest id (numerically) among the records at `frontierMs`. */
  frontierId: string;
}

/**
 * Records of `type` with hs_lastmodifieddate >= `fromMs`, in ascending modification order.
 *
 * Search stops at 10,000 results per query, so before a query would page past the cap the window is
 * split: a new query starts at the last stamp seen (inclusive, so records sharing it are re-read,
 * never skipped). When 10,000 records share one stamp, that stamp is walked by a numeric
 * hs_object_id cursor (`hs_object_id GT lastId`, sorted by id) and the walk resumes just after it.
 */
export async function* searchChanged(
  client: HubSpotClient,
  type: HubSpotObjectType,
  options: { fromMs: number; properties: string[]; signal?: AbortSignal | undefined; limit?: number; cap?: number },
): AsyncGenerator<ChangedPage> {
  const limit = options.limit ?? SEARCH_LIMIT;
  const cap = options.cap ?? SEARCH_CAP;
  const properties = [...new Set([...options.properties, 'hs_lastmodifieddate', 'hs_object_id'])];
  let lowerMs = options.fromMs;
  /** Set while walking one over-full stamp by id. */
  let tie: { stampMs: number; afterId: string } | null = null;

  for (;;) {
    const base: Omit<SearchRequest, 'after'> = tie
      ? {
          filterGroups: [
            {
              filters: [
                { propertyName: 'hs_lastmodifieddate', operator: 'EQ', value: String(tie.stampMs) },
                { propertyName: 'hs_object_id', operator: 'GT', value: tie.afterId },
              ],
            },
          ],
          sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
          properties,
          limit,
        }
      : {
          filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(lowerMs) }] }],
          sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
          properties,
          limit,
        };

    let after: string | undefined;
    let consumed = 0;
    let exhausted = false;
    let lastStampMs: number | null = null;
    let lastId: string | null = null;
    for (;;) {
      if (consumed + limit > cap) break; // the next page would cross the cap: split the window
      // Stryker disable next-line ConditionalExpression: an `after: undefined` key is dropped when the body is serialised
      const response = await client.search(type, after === undefined ? base : { ...base, after }, options.signal);
      const page = SearchResponse.parse(response.body);
      const records = page.results ?? [];
      consumed += records.length;
      if (records.length > 0) {
        for (const record of records) {
          const stamp = toEpochMs(record.properties?.hs_lastmodifieddate) ?? (record.updatedAt ? Date.parse(record.updatedAt) : null);
          if (stamp === null) continue;
          // Stryker disable next-line ConditionalExpression: `stamp > null` compares with 0, and every modification stamp is after 1970
          if (lastStampMs === null || stamp > lastStampMs) {
            lastStampMs = stamp;
            lastId = record.id;
            // Stryker disable next-line ConditionalExpression,EqualityOperator: lastId is not null here; an equal id assigns the same id
          } else if (stamp === lastStampMs && (lastId === null || compareIds(record.id, lastId) > 0)) {
            lastId = record.id;
          }
        }
        yield {
          records,
          frontierMs: lastStampMs ?? (tie ? tie.stampMs : lowerMs),
          frontierId: lastId ?? '',
        };
      }
      after = page.paging?.next?.after ?? undefined;
      if (!after) {
        exhausted = true;
        break;
      }
    }

    if (exhausted) {
      if (!tie) return;
      // Done with the over-full stamp: continue strictly after it.
      lowerMs = tie.stampMs + 1;
      tie = null;
      continue;
    }
    if (tie) {
      tie = { stampMs: tie.stampMs, afterId: lastId ?? tie.afterId };
      // Stryker disable next-line ConditionalExpression: `null > lowerMs` is false as well
    } else if (lastStampMs !== null && lastStampMs > lowerMs) {
      lowerMs = lastStampMs;
    } else {
      tie = { stampMs: lowerMs, afterId: '0' };
    }
  }
}
