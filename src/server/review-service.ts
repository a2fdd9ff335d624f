/**
 * The manager's reports: loads what the engine reads from the store and calls the engine's report
 * functions. The API (`/api/v1/connections/:id/review|kpis|forecast|changes|reps`) and
 * `dealwatch report` both go through here, so they cannot disagree.
 */
import { ConfigError } from '../domain/errors.js';
import {
  indexInput,
  buildMorningReview,
  computeCoaching,
  computeForecast,
  computeKpis,
  computeHistoryChanges,
  computeRollup,
  buildTimelines,
  runBacktest,
  createDayClock,
  engineSettingsFromConnection,
  evaluateDeals,
  fiscalQuarter,
  quarterToDate,
  reportContext,
  trailingDays,
  type EngineInput,
  type EngineSettings,
  type FindingsDiff,
  type Period,
  type ReportContext,
} from '../domain/engine.js';
import { loadEngineInput } from '../store/engine-input.js';
import type { LedgerEntry } from '../store/types.js';
import type { ConnectionDirectory, ReviewService, ServerStore } from './ports.js';
import { changesRange } from './report-range.js';

const DAY_MS = 86_400_000;
/** Critical findings opened this recently are "new" in the morning review. */
const NEW_FINDING_MS = DAY_MS;

/** Period names the API and the CLI accept. */
export const KPI_PERIODS = ['30d', '90d', 'qtd', 'quarter'] as const;
export type KpiPeriodName = (typeof KPI_PERIODS)[number];
export const FORECAST_PERIODS = ['quarter', 'next_quarter'] as const;
export type ForecastPeriodName = (typeof FORECAST_PERIODS)[number];

interface Loaded {
  input: EngineInput;
  ctx: ReportContext;
}

export function createReviewService(deps: { store: ServerStore; connections: ConnectionDirectory }): ReviewService {
  const { store } = deps;

  function settingsOf(connectionId: string): EngineSettings {
    const connection = deps.connections.get(connectionId);
    if (connection === undefined) throw new ConfigError([`connection "${connectionId}" is not configured`]);
    const settings = engineSettingsFromConnection(connection);
    if (!settings.ok) throw new ConfigError(settings.issues.map((i) => `connections.${connectionId}.${i}`));
    return settings.settings;
  }

  async function load(connectionId: string, now: Date): Promise<Loaded> {
    // The same loader as scoring (src/store/engine-input.ts), for the whole book.
    const input = await loadEngineInput(store, settingsOf(connectionId), now);
    const indexed = indexInput(input, now);
    const evaluation = evaluateDeals(input, now, { indexed });
    return { input, ctx: reportContext(indexed, evaluation) };
  }

  function kpiPeriods(ctx: ReportContext, name: string | undefined): Period[] | undefined {
    const { today, settings } = ctx.indexed;
    switch (name as KpiPeriodName | undefined) {
      case '30d':
        return [trailingDays(today, 30)];
      case '90d':
        return [trailingDays(today, 90)];
      case 'qtd':
        return [quarterToDate(today, settings.fiscalYearStartMonth)];
      case 'quarter':
        return [fiscalQuarter(today, settings.fiscalYearStartMonth)];
      default:
        return undefined;
    }
  }

  function forecastPeriod(ctx: ReportContext, name: string | undefined): Period | undefined {
    const { today, settings } = ctx.indexed;
    if (name === 'next_quarter') {
      const current = fiscalQuarter(today, settings.fiscalYearStartMonth);
      return fiscalQuarter(current.endDay, settings.fiscalYearStartMonth);
    }
    return undefined;
  }

  /** Open critical findings the ledger opened in the last day: the review's "new" list. */
  async function recentlyOpened(connectionId: string, now: Date): Promise<FindingsDiff> {
    const open = await store.findings.list(connectionId, { status: 'open' });
    const since = now.getTime() - NEW_FINDING_MS;
    const fresh = open.filter((f: LedgerEntry) => Date.parse(f.firstSeenAt) >= since);
    return {
      opened: fresh.map((f) => ({
        key: f.annotationKey,
        openedAt: f.firstSeenAt,
        finding: {
          connectionId: f.connectionId,
          dealId: f.dealId,
          ruleId: f.ruleId,
          severity: f.severity,
          message: f.message,
          evidence: f.evidence,
          suggestedAction: f.suggestedAction,
        },
      })),
      updated: [],
      stillOpen: [],
      resolved: [],
    };
  }

  return {
    async review(connectionId, now) {
      const [{ ctx }, diff] = await Promise.all([load(connectionId, now), recentlyOpened(connectionId, now)]);
      const kpis = computeKpis(ctx);
      const forecast = computeForecast(ctx);
      // one set of timelines for the roll-up and the backtest that measures its method
      const timelines = buildTimelines(ctx.indexed);
      const rollup = computeRollup(ctx, { timelines });
      const backtest = runBacktest(ctx.indexed, { timelines });
      return buildMorningReview(ctx, { kpis, forecast, diff, rollup, backtest });
    },
    async kpis(connectionId, query, now) {
      const { ctx } = await load(connectionId, now);
      const periods = kpiPeriods(ctx, query.period);
      const report = computeKpis(ctx, periods === undefined ? {} : { periods });
      const teamOwners = query.team === undefined ? undefined : new Set(ctx.teams.get(query.team) ?? []);
      return {
        ...report,
        teams: report.teams.filter(
          (t) =>
            (query.team === undefined || t.id === query.team || t.name === query.team) &&
            (query.owner === undefined || t.ownerIds.includes(query.owner)),
        ),
        reps: report.reps.filter(
          (r) => (query.owner === undefined || r.id === query.owner) && (teamOwners === undefined || teamOwners.has(r.id)),
        ),
      };
    },
    async forecast(connectionId, query, now) {
      const { ctx } = await load(connectionId, now);
      const period = forecastPeriod(ctx, query.period);
      return computeForecast(ctx, period === undefined ? {} : { period });
    },
    async changes(connectionId, query, now) {
      // Refused before anything is read: a reversed or oversized range costs no database work.
      const range = changesRange(query, createDayClock(settingsOf(connectionId).timezone).dayOf(now.getTime()));
      const { ctx } = await load(connectionId, now);
      return computeHistoryChanges(ctx, range);
    },
    async rollup(connectionId, now) {
      const { ctx } = await load(connectionId, now);
      return computeRollup(ctx);
    },
    async backtest(connectionId, query, now) {
      const { ctx } = await load(connectionId, now);
      return runBacktest(ctx.indexed, query.quarters === undefined ? {} : { quarters: query.quarters });
    },
    async reps(connectionId, now) {
      const { ctx } = await load(connectionId, now);
      const kpis = computeKpis(ctx);
      return { currency: kpis.currency, reps: kpis.reps, coaching: computeCoaching(ctx) };
    },
  };
}
