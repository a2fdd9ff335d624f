import { z } from 'zod';
import { IsoDateTime } from './primitives.js';

export const Severity = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof Severity>;

/** One rule's verdict on one deal: what is wrong, the numbers behind it, and what to do. */
export const Finding = z.object({
  connectionId: z.string().min(1),
  dealId: z.string().min(1),
  /** Stable rule id, e.g. `stale_deal`. */
  ruleId: z.string().min(1),
  severity: Severity,
  /** Plain language for the rep, numbers included. */
  message: z.string(),
  evidence: z.record(z.string(), z.unknown()),
  suggestedAction: z.string(),
});
export type Finding = z.infer<typeof Finding>;

export const FindingStatus = z.enum(['open', 'resolved']);
export type FindingStatus = z.infer<typeof FindingStatus>;

/** A finding as the ledger keeps it across runs. */
export const LedgerFinding = Finding.extend({
  status: FindingStatus,
  firstSeenAt: IsoDateTime,
  lastSeenAt: IsoDateTime,
  resolvedAt: IsoDateTime.nullable(),
});
export type LedgerFinding = z.infer<typeof LedgerFinding>;

export const ScoreBand = z.enum(['healthy', 'at_risk', 'critical']);
export type ScoreBand = z.infer<typeof ScoreBand>;

/** 0-100 health score with each component and its signed reasons. */
export const DealScore = z.object({
  connectionId: z.string().min(1),
  dealId: z.string().min(1),
  score: z.number().int().min(0).max(100),
  band: ScoreBand,
  components: z.array(
    z.object({
      name: z.string(),
      /** 0..100 for this component. */
      score: z.number(),
      weight: z.number(),
      detail: z.string(),
    }),
  ),
  /** Top signed reasons: positive ones raise the score, negative ones lower it (at most 3 each). */
  reasons: z.array(z.object({ impact: z.number(), text: z.string() })),
  suggestedAction: z.string().nullable(),
  /** True when the connection had too little history and fixed defaults were used. */
  usedDefaultBenchmarks: z.boolean(),
});
export type DealScore = z.infer<typeof DealScore>;
