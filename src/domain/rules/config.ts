/**
 * Rule thresholds: one zod schema with the engine defaults, overridable per connection
 * (the connection's `rules` field), per pipeline or per stage where that makes sense.
 *
 * Stage keys in `byStage` are either a stage id (`appointmentscheduled`) or
 * `pipeline/stageId` when the same id exists in several pipelines; the latter wins.
 */
import { z } from 'zod';
import { Severity } from '../model/finding.js';

/** Every rule id the engine knows, stable across releases (they are keys in the findings ledger). */
export const RULE_IDS = [
  'stale_deal',
  'stuck_in_stage',
  'close_date_passed',
  'close_date_pushed',
  'missing_amount',
  'missing_close_date',
  'missing_next_step',
  'no_next_activity',
  'single_threaded',
  'amount_decreased',
  'stage_regressed',
  'stage_skipped',
  'discount_over_limit',
  'activity_not_logged',
  'closed_won_missing_amount',
  'closed_lost_missing_reason',
] as const;
export const RuleId = z.enum(RULE_IDS);
export type RuleId = z.infer<typeof RuleId>;

const days = z.number().int().min(1).max(3650);
const probability = z.number().min(0).max(1);

/** Fields every rule has. */
const common = {
  /** @defaultValue true */
  enabled: z.boolean().default(true),
  /** Overrides the rule's default severity. */
  severity: Severity.optional(),
};

/** `stale_deal`: no counted activity for `days`, from the later of last activity and creation. */
export const StaleDealConfig = z.object({
  ...common,
  /** @defaultValue 14 */
  days: days.default(14),
  /** Idle days at which the finding becomes critical, as a multiple of `days`. @defaultValue 2 */
  criticalFactor: z.number().min(1).default(2),
  /** Per pipeline id: its own `days`. */
  byPipeline: z.record(z.string(), z.object({ days })).default({}),
});

/** `stuck_in_stage`: days in stage above `factor` x learned median, else above `fallbackDays`. */
export const StuckInStageConfig = z.object({
  ...common,
  /** @defaultValue 1.5 */
  factor: z.number().min(1).default(1.5),
  /** Won deals through a stage needed to learn its median. @defaultValue 20 */
  minSamples: z.number().int().min(1).default(20),
  /** @defaultValue 30 */
  fallbackDays: days.default(30),
  /** Per stage (`stageId` or `pipeline/stageId`): its own fallback or factor. */
  byStage: z.record(z.string(), z.object({ fallbackDays: days.optional(), factor: z.number().min(1).optional() })).default({}),
});

export const CloseDatePassedConfig = z.object({ ...common });

/** `close_date_pushed`: moved later `count`+ times in `days`, or across a quarter boundary. */
export const CloseDatePushedConfig = z.object({
  ...common,
  /** @defaultValue 2 */
  count: z.number().int().min(1).default(2),
  /** @defaultValue 90 */
  days: days.default(90),
  /** Flag a single push into a later fiscal quarter. @defaultValue true */
  quarterBoundary: z.boolean().default(true),
});

export const MissingFieldConfig = z.object({ ...common });

/** `missing_next_step`: required from the stage whose probability is at least `fromProbability`. */
export const MissingNextStepConfig = z.object({
  ...common,
  /** @defaultValue 0.2 */
  fromProbability: probability.default(0.2),
});

/** Rules that apply from a stage probability on (`no_next_activity`, `single_threaded`). */
export const FromProbabilityConfig = z.object({
  ...common,
  /** @defaultValue 0.4 */
  fromProbability: probability.default(0.4),
});

/** `single_threaded`: at most `maxContacts` contacts from `fromProbability`. */
export const SingleThreadedConfig = FromProbabilityConfig.extend({
  /** @defaultValue 1 */
  maxContacts: z.number().int().min(0).default(1),
});

/** `amount_decreased`: dropped more than `percent` since the snapshot `days` ago. */
export const AmountDecreasedConfig = z.object({
  ...common,
  /** @defaultValue 20 */
  percent: z.number().min(0).max(100).default(20),
  /** @defaultValue 7 */
  days: days.default(7),
});

/** `stage_regressed` / `stage_skipped`: the move into the current stage within `withinDays`. */
export const StageMoveConfig = z.object({
  ...common,
  /** Only moves this recent are flagged. @defaultValue 30 */
  withinDays: days.default(30),
});

/** One tier of the discount approval matrix: deals under `belowAmount` may get `maxPercent` off. */
export const DiscountTier = z.object({
  /** Upper bound (exclusive) of the deal amount, in the reporting currency; null = no bound. */
  belowAmount: z.number().positive().nullable(),
  /** Largest discount (percent) allowed without approval. */
  maxPercent: z.number().min(0).max(100),
  /** Who must approve a discount above `maxPercent` (e.g. "VP Sales"). */
  approver: z.string().min(1),
});
export type DiscountTier = z.infer<typeof DiscountTier>;

export const DEFAULT_DISCOUNT_TIERS: DiscountTier[] = [
  { belowAmount: 10_000, maxPercent: 10, approver: 'sales manager' },
  { belowAmount: 50_000, maxPercent: 15, approver: 'VP Sales' },
  { belowAmount: null, maxPercent: 20, approver: 'CFO' },
];

/** `discount_over_limit`: discount above the approval matrix (tiers sorted by amount). */
export const DiscountOverLimitConfig = z
  .object({
    ...common,
    tiers: z
      .array(DiscountTier)
      .min(1)
      .refine((t) => t.filter((x) => x.belowAmount === null).length <= 1, 'at most one tier without belowAmount')
      .default(DEFAULT_DISCOUNT_TIERS),
    /**
     * Who grants each tier's approvals: a tier's `approver` (e.g. "VP Sales") to a CRM user id. A tier
     * left out goes to the rep's manager where the CRM records one, else to the rep.
     */
    approvers: z.record(z.string(), z.string().trim().min(1, 'expected a CRM user id')).default({}),
  })
  .superRefine((cfg, ctx) => {
    const tiers = new Set(cfg.tiers.map((t) => t.approver));
    for (const tier of Object.keys(cfg.approvers)) {
      if (!tiers.has(tier))
        ctx.addIssue({
          code: 'custom',
          path: ['approvers', tier],
          message: `no approval tier has approver "${tier}" (tiers: ${[...tiers].join(', ')})`,
        });
    }
  });

/** `activity_not_logged`: stage advanced with no activity in the `days` before, within `withinDays`. */
export const ActivityNotLoggedConfig = z.object({
  ...common,
  /** @defaultValue 7 */
  days: days.default(7),
  /** Only advances this recent are flagged. @defaultValue 30 */
  withinDays: days.default(30),
  /** Window for the per-rep compliance rate. @defaultValue 14 */
  complianceDays: days.default(14),
});

/** Closed-deal rules look at deals closed within `withinDays` only (older ones are history). */
export const ClosedDealConfig = z.object({
  ...common,
  /** @defaultValue 90 */
  withinDays: days.default(90),
});

/** Report thresholds: trend bands and coaching gaps. */
export const ReportConfig = z.object({
  /** A KPI moving more than this percent against the previous period raises a trend flag. @defaultValue 15 */
  trendBandPercent: z.number().min(0).default(15),
  /** Closed deals (or activities, for activity KPIs) each period needs before a trend is flagged. @defaultValue 5 */
  trendMinSamples: z.number().int().min(1).default(5),
  /** Open deals from this stage probability are "qualified" (pipeline velocity). @defaultValue 0.2 */
  qualifiedFromProbability: probability.default(0.2),
  /** Deals from this stage probability count as "proposals" in the reverse funnel. @defaultValue 0.5 */
  proposalFromProbability: probability.default(0.5),
  /** Look-back for coaching and planning rates (conversion, deal size, meetings per deal). @defaultValue 180 */
  coachingLookbackDays: days.default(180),
  /** Per KPI band overrides (`winRate`, `avgDealSize`, `salesCycleDays`, `activityCount`, ...). */
  trendBands: z.record(z.string(), z.number().min(0)).default({}),
  /** Effort gap: activity this percent below the team median. @defaultValue 30 */
  effortGapPercent: z.number().min(0).max(100).default(30),
  /** Skill gap: stage conversion this percent below the team's. @defaultValue 30 */
  skillGapPercent: z.number().min(0).max(100).default(30),
  /** Deals a rep needs through a stage before a skill gap is named. @defaultValue 5 */
  skillGapMinSamples: z.number().int().min(1).default(5),
  /** Workload above this multiple of the team median is overloaded. @defaultValue 1.5 */
  overloadedFactor: z.number().min(1).default(1.5),
  /** Workload below this multiple of the team median is starved. @defaultValue 0.5 */
  starvedFactor: z.number().min(0).max(1).default(0.5),
  /** Share of accounts (by open pipeline) listed as key when none are configured. @defaultValue 0.1 */
  keyAccountShare: z.number().min(0).max(1).default(0.1),
  /** Weight the stale-adjusted forecast gives deals with open critical findings. @defaultValue 0.5 */
  staleDiscount: z.number().min(0).max(1).default(0.5),
});

/** All thresholds of a connection. Every field has a default, so `{}` is a valid config. */
export const RulesConfig = z
  .object({
    stale_deal: StaleDealConfig.default(StaleDealConfig.parse({})),
    stuck_in_stage: StuckInStageConfig.default(StuckInStageConfig.parse({})),
    close_date_passed: CloseDatePassedConfig.default(CloseDatePassedConfig.parse({})),
    close_date_pushed: CloseDatePushedConfig.default(CloseDatePushedConfig.parse({})),
    missing_amount: MissingFieldConfig.default(MissingFieldConfig.parse({})),
    missing_close_date: MissingFieldConfig.default(MissingFieldConfig.parse({})),
    missing_next_step: MissingNextStepConfig.default(MissingNextStepConfig.parse({})),
    no_next_activity: FromProbabilityConfig.default(FromProbabilityConfig.parse({})),
    single_threaded: SingleThreadedConfig.default(SingleThreadedConfig.parse({})),
    amount_decreased: AmountDecreasedConfig.default(AmountDecreasedConfig.parse({})),
    stage_regressed: StageMoveConfig.default(StageMoveConfig.parse({})),
    stage_skipped: StageMoveConfig.default(StageMoveConfig.parse({})),
    discount_over_limit: DiscountOverLimitConfig.default(DiscountOverLimitConfig.parse({})),
    activity_not_logged: ActivityNotLoggedConfig.default(ActivityNotLoggedConfig.parse({})),
    closed_won_missing_amount: ClosedDealConfig.default(ClosedDealConfig.parse({})),
    closed_lost_missing_reason: ClosedDealConfig.default(ClosedDealConfig.parse({})),
    reports: ReportConfig.default(ReportConfig.parse({})),
  })
  .strict();
export type RulesConfig = z.infer<typeof RulesConfig>;
/** What a connection may write in its `rules` field (every key optional). */
export type RulesConfigInput = z.input<typeof RulesConfig>;

/** Result of {@link parseRulesConfig}: the config, or one line per problem with its path. */
export type ParseRulesResult = { ok: true; config: RulesConfig } | { ok: false; issues: string[] };

/**
 * Validates a connection's `rules` field and fills in defaults.
 * Issues read like `stale_deal.days: Too small: expected number to be >=1`, so that
 * src/config.ts can prefix them with the connection's path.
 */
export function parseRulesConfig(raw: unknown): ParseRulesResult {
  const r = RulesConfig.safeParse(raw ?? {});
  if (r.success) return { ok: true, config: r.data };
  return {
    ok: false,
    issues: r.error.issues.map((i) => `${i.path.map(String).join('.') || '(rules)'}: ${i.message}`),
  };
}

/** The default thresholds (what `{}` parses to). */
export function defaultRulesConfig(): RulesConfig {
  return RulesConfig.parse({});
}

/** Stale days for a pipeline. */
export function staleDaysFor(cfg: RulesConfig, pipeline: string): number {
  return cfg.stale_deal.byPipeline[pipeline]?.days ?? cfg.stale_deal.days;
}

/** Stuck-in-stage factor and fallback for a stage. */
export function stuckSettingsFor(cfg: RulesConfig, pipeline: string, stageId: string): { factor: number; fallbackDays: number } {
  const o = cfg.stuck_in_stage.byStage[`${pipeline}/${stageId}`] ?? cfg.stuck_in_stage.byStage[stageId];
  return { factor: o?.factor ?? cfg.stuck_in_stage.factor, fallbackDays: o?.fallbackDays ?? cfg.stuck_in_stage.fallbackDays };
}

/** The approval tier an amount falls in (tiers sorted by bound, unbounded last). */
export function discountTierFor(tiers: readonly DiscountTier[], amount: number): DiscountTier | undefined {
  // the tier with the smallest bound above the amount; else the unbounded one; else the highest
  let best: DiscountTier | undefined;
  let unbounded: DiscountTier | undefined;
  let highest: DiscountTier | undefined;
  for (const t of tiers) {
    if (t.belowAmount === null) {
      unbounded = t;
      continue;
    }
    if (!highest || t.belowAmount > (highest.belowAmount as number)) highest = t;
    if (amount < t.belowAmount && (!best || t.belowAmount < (best.belowAmount as number))) best = t;
  }
  return best ?? unbounded ?? highest;
}

/**
 * Who a discount approval of `tier` goes to: the user configured for the tier, else the rep's
 * manager where the CRM records one, else the rep (null when the deal has no owner).
 */
export function discountApproverFor(
  cfg: Pick<RulesConfig['discount_over_limit'], 'approvers'>,
  tier: string | null,
  rep: { id: string; managerId?: string | null } | null,
): string | null {
  const configured = tier === null ? undefined : cfg.approvers[tier];
  return configured ?? rep?.managerId ?? rep?.id ?? null;
}
