/**
 * The incremental activity pull's merge: one search per activity type (paging.ts), walked together
 * so that a page's cursor never passes a record still to come from another type.
 *
 * The next page is always taken from the type whose search is furthest behind. A type's pages are
 * held until up to `batchLimit` ids await their deal links (one v4 read for them all), and a page's
 * cursor is the smallest frontier *yielded* by the types still walking (a type with pages held
 * counts as walking until its last page is out), so resuming from it never skips a record of a type
 * that lags behind or is still held. Once every search is exhausted the furthest frontier is a safe
 * resume point and is yielded on a page of its own.
 */
import type { SyncCursor } from '../../src/domain/model/index.js';
import type { Page } from '../types.js';
import type { ChangedPage } from './paging.js';
import type { RawObject } from './schemas.js';

export function cursorOf(ms: number, id: string): SyncCursor {
  return { stamp: new Date(ms).toISOString(), id };
}

export interface MergeOptions<T extends string, R> {
  /** One search per type, in ascending modification order, each starting at `fromMs`. */
  searches: { type: T; pages: AsyncIterator<ChangedPage> }[];
  /** Where the searches start (the pull's cursor minus the look-back). */
  fromMs: number;
  /** The pull's cursor: no page's cursor is ever behind it. */
  since: SyncCursor;
  /** Deal ids linked to each of `ids` (one batch read). */
  links: (type: T, ids: string[]) => Promise<Map<string, string[]>>;
  /** The record as the connector yields it. */
  map: (raw: RawObject, type: T, dealIds: string[]) => R;
  /** Ids one links read takes. */
  batchLimit: number;
  /** Records one search page holds at most. */
  pageLimit: number;
}

export async function* mergeByFrontier<T extends string, R>(options: MergeOptions<T, R>): AsyncGenerator<Page<R>> {
  const { fromMs, links, map, batchLimit, pageLimit } = options;
  const walkers = options.searches.map(({ type, pages }) => ({
    type,
    pages,
    frontierMs: fromMs,
    // Stryker disable next-line StringLiteral: with nothing read, frontierMs stays fromMs, so this id is never used
    frontierId: '',
    yieldedMs: fromMs,
    // Stryker disable next-line StringLiteral: with nothing yielded, yieldedMs stays fromMs, so this id is never used
    yieldedId: '',
    held: [] as ChangedPage[],
    heldIds: 0,
    done: false,
  }));
  let emitted: SyncCursor = options.since;
  const cursorNow = (): SyncCursor => {
    const walking = walkers.filter((w) => !w.done || w.held.length > 0);
    if (walking.length === 0) return emitted;
    const lagging = walking.reduce((x, y) => (y.yieldedMs < x.yieldedMs ? y : x));
    if (lagging.yieldedMs > Date.parse(emitted.stamp)) emitted = cursorOf(lagging.yieldedMs, lagging.yieldedId);
    return emitted;
  };
  const flush = async function* (walker: (typeof walkers)[number]): AsyncGenerator<Page<R>> {
    if (walker.held.length === 0) return;
    const linked = await links(
      walker.type,
      walker.held.flatMap((p) => p.records.map((r) => r.id)),
    );
    walker.heldIds = 0;
    // A page leaves `held` as it is yielded, so a finished type still counts as walking (and holds
    // the cursor back) until its last page is out.
    for (let page = walker.held.shift(); page; page = walker.held.shift()) {
      walker.yieldedMs = page.frontierMs;
      walker.yieldedId = page.frontierId;
      yield { records: page.records.map((raw) => map(raw, walker.type, linked.get(raw.id) ?? [])), tombstones: [], cursor: cursorNow() };
    }
  };

  for (;;) {
    const active = walkers.filter((w) => !w.done);
    if (active.length === 0) break;
    const walker = active.reduce((x, y) => (y.frontierMs < x.frontierMs ? y : x));
    const next = await walker.pages.next();
    if (next.done) {
      walker.done = true;
      yield* flush(walker);
      continue;
    }
    walker.frontierMs = next.value.frontierMs;
    walker.frontierId = next.value.frontierId;
    walker.held.push(next.value);
    walker.heldIds += next.value.records.length;
    if (walker.heldIds + pageLimit > batchLimit) yield* flush(walker);
  }
  // Every type is exhausted: the furthest frontier is a safe resume point.
  const finalMs = Math.max(...walkers.map((w) => w.frontierMs));
  if (finalMs > Date.parse(emitted.stamp)) {
    const last = walkers.find((w) => w.frontierMs === finalMs);
    // Stryker disable next-line OptionalChaining,StringLiteral: finalMs is one of the walkers' frontiers, so `last` is always found
    emitted = cursorOf(finalMs, last?.frontierId ?? '');
    yield { records: [], tombstones: [], cursor: emitted };
  }
}
