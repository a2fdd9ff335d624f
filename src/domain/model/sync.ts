import { z } from 'zod';
import { IsoDateTime } from './primitives.js';

/**
 * Where an incremental pull resumes: the last committed (modification stamp, id).
 * Pulls re-read from `stamp - lookback` inclusive, so ties and late commits are never lost.
 */
export const SyncCursor = z.object({
  stamp: IsoDateTime,
  id: z.string(),
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
