import { z } from 'zod';
import { IsoDateTime } from './primitives.js';

/**
 * Where an unfinished full walk (list endpoints, not ordered by stamp) continues: the phase (one
 * list each, e.g. `deals`, `archived-deals`, `calls`) and the provider's own paging token within
 * it, exactly as returned (`null`: the phase starts at its beginning). Opaque outside the connector.
 */
export const SyncWalk = z.object({
  phase: z.string().min(1),
  after: z.string().nullable(),
});
export type SyncWalk = z.infer<typeof SyncWalk>;

/**
 * Where a pull resumes: the last committed (modification stamp, id).
 * Pulls re-read from `stamp - lookback` inclusive, so ties and late commits are never lost.
 * With `walk`, a full walk is in progress: it continues at `walk`, and `stamp` is the instant the
 * walk began (where the incremental pull resumes once the walk completes). A walk ordered by stamp
 * (Salesforce) instead keeps its position in (`stamp`, `id`) with `walk.after` null.
 */
export const SyncCursor = z.object({
  stamp: IsoDateTime,
  id: z.string(),
  walk: SyncWalk.optional(),
});
export type SyncCursor = z.infer<typeof SyncCursor>;

/** Streams a connection syncs, each with its own cursor. */
export const SyncStream = z.enum(['deals', 'activities', 'history']);
export type SyncStream = z.infer<typeof SyncStream>;

export const SyncStatus = z.enum(['running', 'ok', 'partial', 'failed']);
export type SyncStatus = z.infer<typeof SyncStatus>;

/** API usage of one sync run. */
export const ApiUsage = z.object({
  calls: z.number().int().nonnegative(),
  byEndpoint: z.record(z.string(), z.number().int().nonnegative()),
  rateLimited: z.number().int().nonnegative(),
  /** Provider-reported quota: Salesforce Sforce-Limit-Info, HubSpot daily remaining. */
  quota: z.object({ used: z.number().nullable(), limit: z.number().nullable(), remaining: z.number().nullable() }).nullable(),
});
export type ApiUsage = z.infer<typeof ApiUsage>;
