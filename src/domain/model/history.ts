import { z } from 'zod';
import { IsoDate, IsoDateTime } from './primitives.js';

/** One move of a deal from a stage to another (Salesforce OpportunityHistory, HubSpot dealstage history). */
export const StageChange = z.object({
  connectionId: z.string().min(1),
  dealId: z.string().min(1),
  /** null for the deal's first stage. */
  fromStageId: z.string().nullable(),
  toStageId: z.string().min(1),
  at: IsoDateTime,
  /** Amount and close date at the time of the move, when the CRM records them. */
  amount: z.number().nullable(),
  closeDate: IsoDate.nullable(),
});
export type StageChange = z.infer<typeof StageChange>;

/** A change of a tracked deal field (close date or amount) from field history. */
export const DealFieldChange = z.object({
  connectionId: z.string().min(1),
  dealId: z.string().min(1),
  field: z.enum(['closeDate', 'amount']),
  oldValue: z.string().nullable(),
  newValue: z.string().nullable(),
  at: IsoDateTime,
});
export type DealFieldChange = z.infer<typeof DealFieldChange>;

/** One deal's state on one day, for pipeline changes (waterfall) and amount-decrease rules. */
export const DealSnapshot = z.object({
  connectionId: z.string().min(1),
  /** The day (connection time zone) the snapshot was taken. */
  day: IsoDate,
  dealId: z.string().min(1),
  ownerId: z.string().nullable(),
  pipeline: z.string(),
  stageId: z.string(),
  amount: z.number().nullable(),
  currency: z.string().nullable(),
  closeDate: IsoDate.nullable(),
  probability: z.number().nullable(),
  forecastCategory: z.string().nullable(),
  isClosed: z.boolean(),
  isWon: z.boolean(),
});
export type DealSnapshot = z.infer<typeof DealSnapshot>;
