/**
 * Response schemas of the engine's reports, for the OpenAPI document and response serialisation.
 * The type checks at the bottom make any incompatible change to the engine's report types a
 * compile error here rather than a 500 in production; a field the engine adds is left out of
 * the answer until it is added here (and so documented).
 */
import { z } from 'zod';
import type {
  BacktestReport,
  Coaching,
  Forecast,
  ForecastRollup,
  HistoryChanges,
  KpiReport,
  MorningReview,
  ScopeKpis,
} from '../domain/engine.js';
import type { RepsView } from './ports.js';
import { Finding, ScoreBand } from '../domain/model/index.js';

const Money = z.object({ amount: z.number(), currency: z.string() });
const MoneyTotal = z.array(Money).describe('one line per currency; a single line when every amount converts to the reporting currency');
const Period = z.object({
  label: z.string(),
  startDay: z.number(),
  endDay: z.number().describe('exclusive'),
  start: z.string().describe('first day, ISO'),
  end: z.string().describe('last day, ISO'),
  kind: z
    .enum(['trailing', 'quarter_to_date', 'quarter', 'custom'])
    .describe('how the period was built; decides what the previous period is'),
});

const RollupLineShape = {
  closedWon: z.number(),
  commit: z.number().describe('closed won + open deals in the commit category'),
  bestCase: z.number().describe('commit + open deals in the best-case category'),
  openPipeline: z.number().describe('every open deal not omitted'),
  expected: z.number().describe('closed won + open deals weighted by the method in use'),
  quota: z.number().nullable(),
  attainment: z.number().nullable().describe('closed won / quota'),
  expectedAttainment: z.number().nullable().describe('expected / quota'),
  gap: z.number().nullable().describe('quota - closed won'),
  openDeals: z.number(),
  overdueDeals: z.number(),
  staleDeals: z.number(),
  pushedDeals: z.number(),
};

const TrendFlag = z.object({
  kpi: z.string(),
  current: z.number(),
  previous: z.number(),
  changePercent: z.number(),
  bandPercent: z.number(),
  direction: z.enum(['up', 'down']),
  concern: z.boolean(),
  message: z.string(),
});

export const ReviewReport = z
  .object({
    asOf: z.string(),
    timezone: z.string(),
    currency: z.string(),
    newCritical: z.array(
      z.object({
        dealId: z.string(),
        name: z.string(),
        ownerId: z.string().nullable(),
        ownerName: z.string(),
        amount: MoneyTotal,
        score: z.number().nullable(),
        findings: z.array(Finding),
      }),
    ),
    reps: z.array(
      z.object({
        ownerId: z.string(),
        name: z.string(),
        stalePipeline: MoneyTotal,
        staleDeals: z.number(),
        staleShare: z.number().nullable(),
        complianceRate: z.number().nullable(),
        openDeals: z.number(),
      }),
    ),
    trendFlags: z.array(z.object({ scope: z.string(), name: z.string(), period: z.string(), flag: TrendFlag })),
    forecast: z.object({
      period: z.string(),
      expectedNow: z.number(),
      expectedLastWeek: z.number().nullable(),
      change: z.number().nullable(),
      closedWonNow: z.number(),
      currency: z.string(),
    }),
    findingsByRep: z
      .array(
        z.object({
          ownerId: z.string().nullable(),
          ownerName: z.string(),
          ruleId: z.string(),
          severity: z.enum(['critical', 'warning', 'info']),
          deals: z.number(),
          amount: z.number().describe('exact, reporting currency'),
          currency: z.string(),
          dealIds: z.array(z.string()),
          message: z.string(),
        }),
      )
      .describe('every open finding, grouped by rep and rule'),
    concentrations: z.array(
      z.object({
        ruleId: z.string(),
        ownerId: z.string().nullable(),
        ownerName: z.string(),
        repFindings: z.number(),
        totalFindings: z.number(),
        share: z.number(),
        message: z.string(),
      }),
    ),
    activityCollapses: z.array(
      z.object({
        ownerId: z.string(),
        name: z.string(),
        recent: z.number(),
        baselinePer30: z.number(),
        baselineSamples: z.number(),
        ratio: z.number(),
        message: z.string(),
      }),
    ),
    stageConversionGaps: z
      .array(
        z.object({
          ownerId: z.string(),
          name: z.string(),
          pipeline: z.string(),
          stageId: z.string(),
          stage: z.string(),
          repRate: z.number(),
          teamRate: z.number(),
          repSamples: z.number(),
          teamSamples: z.number(),
          gapPercent: z.number(),
          message: z.string(),
        }),
      )
      .describe("per rep, the one stage where the rep's stage-to-next conversion falls far below the team's"),
    forecastCall: z
      .object({
        method: z.enum(['crm_probability', 'stage_conversion', 'adjusted']),
        measuredError: z
          .object({
            meanAbsPercentError: z.number().nullable(),
            meanBias: z.number().nullable(),
            points: z.number(),
            quarters: z.array(z.string()),
          })
          .nullable(),
        currency: z.string(),
        quarters: z.array(z.object({ label: z.string(), total: z.object(RollupLineShape) })),
      })
      .nullable(),
  })
  .meta({
    id: 'MorningReview',
    description: 'What needs attention today: new critical findings, reps by stale pipeline, KPI trend flags, forecast vs last week',
  });

const ForecastDeal = z.object({
  dealId: z.string(),
  name: z.string(),
  ownerId: z.string().nullable(),
  stageId: z.string(),
  closeDate: z.string().nullable(),
  amount: Money,
  weight: z.number(),
  weighted: Money,
  basis: z.string().describe('why this weight, e.g. `historical 0.31 (n=48)`'),
});
const ForecastLine = z.object({ total: MoneyTotal, deals: z.array(ForecastDeal) });

export const ForecastReport = z
  .object({
    period: Period,
    currency: z.string(),
    closedWon: ForecastLine,
    crmWeighted: ForecastLine,
    historicalWeighted: ForecastLine,
    expected: MoneyTotal,
    conversions: z.array(
      z.object({
        pipeline: z.string(),
        stageId: z.string(),
        label: z.string(),
        rate: z.number(),
        samples: z.number(),
        source: z.enum(['historical', 'crm_probability']),
      }),
    ),
    commit: ForecastLine,
    bestCase: ForecastLine,
    staleAdjusted: ForecastLine.extend({ discount: z.number(), discountedDeals: z.number() }),
  })
  .meta({ id: 'Forecast' });

const Waterfall = z.object({
  currency: z.string(),
  start: z.number(),
  new: z.number(),
  pulledIn: z.number(),
  increased: z.number(),
  won: z.number(),
  lost: z.number(),
  decreased: z.number(),
  pushedOut: z.number(),
  end: z.number(),
});

export const ChangesReport = z
  .object({
    fromDay: z.string(),
    toDay: z.string(),
    closeWithin: Period.nullable(),
    waterfalls: z.array(Waterfall),
    byRep: z.array(z.object({ ownerId: z.string().nullable(), waterfalls: z.array(Waterfall) })),
    changes: z.array(
      z.object({
        dealId: z.string(),
        ownerId: z.string().nullable(),
        kind: z.enum(['new', 'pulled_in', 'increased', 'won', 'lost', 'decreased', 'pushed_out']),
        currency: z.string(),
        delta: z.number(),
        before: z.number().nullable(),
        after: z.number().nullable(),
      }),
    ),
    source: z.literal('history').describe("rebuilt from the CRM's stage, amount and close-date history"),
    snapshotCheck: z
      .object({
        available: z.boolean().describe('both days have a daily snapshot set'),
        agrees: z.boolean().nullable(),
        differences: z.array(
          z.object({
            currency: z.string(),
            bucket: z.enum(['start', 'new', 'pulledIn', 'increased', 'won', 'lost', 'decreased', 'pushedOut', 'end']),
            history: z.number(),
            snapshots: z.number(),
          }),
        ),
      })
      .describe("the daily snapshots' waterfall for the same days, bucket by bucket"),
  })
  .meta({
    id: 'PipelineChanges',
    description: 'waterfall: start + new + pulledIn + increased - won - lost - decreased - pushedOut = end, per currency and per rep',
  });

const ForecastMethod = z.enum(['crm_probability', 'stage_conversion', 'adjusted']);
const RiskSignal = z.enum(['overdue', 'stale', 'pushed']);

const RollupLine = RollupLineShape;

const ForecastModelSchema = z.object({
  learnedBefore: z.number(),
  closedDeals: z.number(),
  baseWinRate: z.number().nullable(),
  stageRates: z.array(
    z.object({
      pipeline: z.string(),
      stageId: z.string(),
      label: z.string(),
      rate: z.number(),
      samples: z.number(),
      source: z.enum(['history', 'crm_probability']),
    }),
  ),
  risks: z.array(
    z.object({
      signal: RiskSignal,
      factor: z.number(),
      samples: z.number(),
      winRate: z.number().nullable(),
      source: z.enum(['history', 'config']),
    }),
  ),
});

export const RollupReport = z
  .object({
    currency: z.string(),
    method: ForecastMethod,
    model: ForecastModelSchema,
    quarters: z.array(
      z.object({
        period: Period,
        total: z.object(RollupLine),
        teams: z.array(z.object({ team: z.string(), ownerIds: z.array(z.string()), ...RollupLine })),
        reps: z.array(z.object({ ownerId: z.string(), name: z.string(), ...RollupLine })),
        deals: z.array(
          z.object({
            dealId: z.string(),
            name: z.string(),
            ownerId: z.string().nullable(),
            stageId: z.string(),
            closeDate: z.string().nullable(),
            amount: z.number(),
            category: z.enum(['pipeline', 'best_case', 'commit', 'omitted']),
            categorySource: z.enum(['crm', 'config', 'probability']),
            weight: z.number(),
            expected: z.number(),
            basis: z.string(),
            signals: z.array(RiskSignal),
          }),
        ),
      }),
    ),
    unconvertedDeals: z.number().describe('deals left out: their currency has no rate to the reporting currency'),
  })
  .meta({
    id: 'ForecastRollup',
    description: 'closed won, commit, best case, pipeline, expected and quota per rep, team and total, this and next fiscal quarter',
  });

const MethodResult = z.object({
  method: ForecastMethod,
  forecast: z.number(),
  error: z.number(),
  absPercentError: z.number().nullable(),
  bias: z.number().nullable(),
});

export const BacktestReportSchema = z
  .object({
    currency: z.string(),
    methodInUse: ForecastMethod,
    quarters: z.array(z.string()),
    points: z.array(
      z.object({
        quarter: z.string(),
        point: z.enum(['start', 'middle']),
        asOf: z.string(),
        actual: z.number(),
        wonBefore: z.number(),
        openDeals: z.number(),
        openPipeline: z.number(),
        learnedFrom: z.number(),
        methods: z.array(MethodResult),
      }),
    ),
    summary: z.array(
      z.object({ method: ForecastMethod, meanAbsPercentError: z.number().nullable(), meanBias: z.number().nullable(), points: z.number() }),
    ),
    unconvertedDeals: z.number(),
  })
  .meta({ id: 'Backtest', description: 'each forecast method replayed at the start and middle of past quarters against what was won' });

const PeriodKpis = z.object({
  won: z.number(),
  lost: z.number(),
  winRate: z.number().nullable(),
  cohort: z.object({ created: z.number(), won: z.number(), lost: z.number(), winRate: z.number().nullable() }),
  stageConversion: z.array(
    z.object({
      pipeline: z.string(),
      stageId: z.string(),
      label: z.string(),
      entered: z.number(),
      advanced: z.number(),
      rate: z.number().nullable(),
    }),
  ),
  avgDealSize: MoneyTotal,
  wonAmount: MoneyTotal,
  medianSalesCycleDays: z.number().nullable(),
  pipelineVelocityPerDay: MoneyTotal,
  activities: z.object({
    total: z.number(),
    byType: z.record(z.string(), z.number()),
    perWeek: z.number(),
    weekly: z.array(z.object({ weekStart: z.string(), count: z.number() })).describe('per local week (Monday start), oldest first'),
  }),
});

const StateKpis = z.object({
  openDeals: z.number(),
  qualifiedOpenDeals: z.number(),
  openPipeline: MoneyTotal,
  staleDeals: z.number(),
  stalePipeline: MoneyTotal,
  staleShare: z.number().nullable(),
  compliance: z.object({ openDeals: z.number(), withRecentActivity: z.number(), rate: z.number().nullable(), windowDays: z.number() }),
  quota: z
    .object({
      quarter: z.string(),
      quota: z.number(),
      wonToDate: z.number(),
      attainment: z.number().nullable(),
      remaining: z.number(),
      pipelineThisQuarter: z.number(),
      coverage: z.number().nullable(),
      currency: z.string(),
    })
    .nullable(),
});

const ScopeKpisSchema = z
  .object({
    scope: z.enum(['connection', 'team', 'rep']),
    id: z.string(),
    name: z.string(),
    ownerIds: z.array(z.string()),
    state: StateKpis,
    periods: z.array(
      z.object({ period: Period, previousPeriod: Period, current: PeriodKpis, previous: PeriodKpis, trendFlags: z.array(TrendFlag) }),
    ),
  })
  .meta({ id: 'ScopeKpis' });

export const KpiReportSchema = z
  .object({ currency: z.string(), connection: ScopeKpisSchema, teams: z.array(ScopeKpisSchema), reps: z.array(ScopeKpisSchema) })
  .meta({ id: 'KpiReport', description: 'KPIs for the connection, each team and each rep, per period with the period before' });
export { KpiReportSchema as KpiReport };

const StageRate = z.object({
  pipeline: z.string(),
  stageId: z.string(),
  label: z.string(),
  advanced: z.number(),
  lostAt: z.number(),
  samples: z.number(),
  rate: z.number().nullable(),
});

const RepCoachingSchema = z.object({
  ownerId: z.string(),
  name: z.string(),
  team: z.string().nullable(),
  activities30d: z.number(),
  teamMedianActivities30d: z.number(),
  effortGap: z.boolean(),
  skillGap: z
    .object({
      pipeline: z.string(),
      stageId: z.string(),
      label: z.string(),
      repRate: z.number(),
      teamRate: z.number(),
      repSamples: z.number(),
      teamSamples: z.number(),
      gapPercent: z.number(),
    })
    .nullable()
    .describe('weakest stage where conversion is well below the team, with enough samples'),
  signal: z.enum(['effort_gap', 'skill_gap', 'effort_and_skill_gap', 'balanced']),
  message: z.string(),
  stageRates: z.array(StageRate),
  teamStageRates: z.array(StageRate).describe("the same stages over the rep's team: the skill gap's benchmark"),
});

const ActivityGoalSchema = z.object({
  ownerId: z.string(),
  name: z.string(),
  weeklyTarget: z.number(),
  targetBasis: z.string(),
  goals: z.object({ newOpportunities: z.number(), meetings: z.number(), proposals: z.number(), wins: z.number() }),
  assumptions: z.array(z.object({ name: z.string(), value: z.number(), samples: z.number(), source: z.enum(['rep', 'team', 'config']) })),
  arithmetic: z.array(z.string()).describe('the funnel arithmetic behind the goals, step by step'),
  currency: z.string(),
});

const CoachingSchema = z
  .object({
    currency: z.string(),
    reps: z.array(RepCoachingSchema).describe('effort gap or skill gap at a named stage, with the numbers'),
    goals: z.array(ActivityGoalSchema).describe("next week's activity goals per rep (reverse funnel), with the assumptions"),
    workload: z.object({
      teamMedianOpenDeals: z.number(),
      teamMedianPipeline: z.number(),
      reps: z.array(
        z.object({
          ownerId: z.string(),
          name: z.string(),
          openDeals: z.number(),
          openPipeline: z.number(),
          dealsRatio: z.number().nullable(),
          pipelineRatio: z.number().nullable(),
          flag: z.enum(['overloaded', 'starved']).nullable(),
        }),
      ),
    }),
    leadSources: z.array(
      z.object({
        leadSource: z.string(),
        label: z.string().describe('the source as a person reads it'),
        created: z.number(),
        won: z.number(),
        lost: z.number(),
        winRate: z.number().nullable(),
        qualifiedRate: z.number().nullable(),
        avgWonSize: MoneyTotal,
      }),
    ),
    keyAccounts: z.array(
      z.object({
        accountId: z.string(),
        accountName: z.string().nullable(),
        openPipeline: MoneyTotal,
        source: z
          .enum(['configured', 'crm_target', 'top_share'])
          .describe('named in the connection, flagged a target account in the CRM, or among the top by open pipeline'),
        deals: z.array(
          z.object({
            dealId: z.string(),
            name: z.string(),
            ownerId: z.string().nullable(),
            score: z.number().nullable(),
            band: ScoreBand.nullable(),
            findings: z.array(z.string()),
          }),
        ),
      }),
    ),
  })
  .meta({
    id: 'Coaching',
    description: 'coaching and planning: effort vs skill gaps, activity goals, workload, lead quality, key accounts',
  });

export const RepsReport = z
  .object({
    currency: z.string(),
    reps: z.array(ScopeKpisSchema),
    coaching: CoachingSchema,
  })
  .meta({ id: 'Reps' });

// Compile-time contract with the engine: its report types must stay assignable to these schemas.
type Accepts<Schema extends z.ZodType, Value extends z.input<Schema>> = Value;
export type ReportContracts = [
  Accepts<typeof ReviewReport, MorningReview>,
  Accepts<typeof ForecastReport, Forecast>,
  Accepts<typeof ChangesReport, HistoryChanges>,
  Accepts<typeof RollupReport, ForecastRollup>,
  Accepts<typeof BacktestReportSchema, BacktestReport>,
  Accepts<typeof ScopeKpisSchema, ScopeKpis>,
  Accepts<typeof KpiReportSchema, KpiReport>,
  Accepts<typeof CoachingSchema, Coaching>,
  Accepts<typeof RepsReport, RepsView>,
];
