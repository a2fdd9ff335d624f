import { z } from 'zod';
import { CurrencyCode, IsoDate, IsoDateTime } from './primitives.js';

export const ForecastCategory = z.enum(['pipeline', 'best_case', 'commit', 'closed', 'omitted']);
export type ForecastCategory = z.infer<typeof ForecastCategory>;

/** An opportunity (Salesforce) or deal (HubSpot), provider-neutral. */
export const Deal = z.object({
  connectionId: z.string().min(1),
  externalId: z.string().min(1),
  name: z.string(),
  ownerId: z.string().nullable(),
  accountId: z.string().nullable(),
  accountName: z.string().nullable(),
  /**
   * Whether the CRM marks the deal's account a target account (HubSpot `hs_is_target_account`,
   * Salesforce the Account checkbox named in `fieldMap.targetAccount`); null when not read.
   */
  accountIsTarget: z.boolean().nullable(),
  leadSource: z.string().nullable(),
  pipeline: z.string().min(1),
  stageId: z.string().min(1),
  amount: z.number().nullable(),
  /** Currency of `amount`; null means the connection's default currency. */
  currency: CurrencyCode.nullable(),
  closeDate: IsoDate.nullable(),
  createdAt: IsoDateTime,
  modifiedAt: IsoDateTime,
  /** The CRM's probability, 0..1. */
  probability: z.number().min(0).max(1).nullable(),
  forecastCategory: ForecastCategory.nullable(),
  nextStep: z.string().nullable(),
  isClosed: z.boolean(),
  isWon: z.boolean(),
  stageEnteredAt: IsoDateTime.nullable(),
  /** Percent (12.5 = 12.5 %), from the field named in `fieldMap.discount`. */
  discountPercent: z.number().nullable(),
  contactCount: z.number().int().nonnegative().nullable(),
  /** Closed-lost reason, from the field named in `fieldMap.lostReason` when mapped. */
  lostReason: z.string().nullable(),
  isDeleted: z.boolean(),
  deletedAt: IsoDateTime.nullable(),
});
export type Deal = z.infer<typeof Deal>;
