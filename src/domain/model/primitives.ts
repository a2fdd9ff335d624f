import { z } from 'zod';

/** An instant, ISO 8601 with offset (`2026-11-26T09:00:00.000Z`). Stored and compared as UTC. */
export const IsoDateTime = z.iso.datetime({ offset: true });
/** A calendar date without time (`2026-11-26`), as CRMs store close dates. */
export const IsoDate = z.iso.date();
/** ISO 4217 currency code. */
export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as USD');

export const Provider = z.enum(['salesforce', 'hubspot']);
export type Provider = z.infer<typeof Provider>;
