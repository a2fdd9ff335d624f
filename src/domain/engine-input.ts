/**
 * The one bundle the engine reads: everything the pipeline loads from the store for one
 * connection. Plain canonical records (already validated at the edge), so the hot path never
 * re-parses them with zod.
 */
import type { Activity } from './model/activity.js';
import type { ConnectionSettings, Quota } from './model/connection.js';
import type { Deal } from './model/deal.js';
import type { DealFieldChange, DealSnapshot, StageChange } from './model/history.js';
import type { Owner } from './model/owner.js';
import type { Stage } from './model/stage.js';
import { parseRulesConfig, type RulesConfig } from './rules/config.js';
import { isValidTimeZone } from './time.js';

/** Connection settings the engine needs (a projection of {@link ConnectionSettings}). */
export interface EngineSettings {
  connectionId: string;
  /** IANA zone for day boundaries ("today", close dates, weeks, quarters). */
  timezone: string;
  /** Currency every report total is expressed in when rates allow. */
  reportingCurrency: string;
  /** 1 unit of key = rate units of `reportingCurrency`; absent = report per currency. */
  exchangeRates?: Record<string, number> | undefined;
  /** Quota per owner id (see {@link quotaOf}), in the reporting currency. */
  quotas?: Record<string, Quota> | undefined;
  /** Quota per team name. */
  teamQuotas?: Record<string, Quota> | undefined;
  /** Forecast category per stage id for deals without one from the CRM. */
  forecastCategories?: Record<string, 'pipeline' | 'best_case' | 'commit' | 'omitted'> | undefined;
  /** Team name -> owner ids (else `Owner.team`). */
  teams?: Record<string, string[]> | undefined;
  /** Account ids on the key-accounts list (else the top share by open pipeline). */
  keyAccounts?: string[] | undefined;
  /** @defaultValue 1 */
  fiscalYearStartMonth: number;
  /** Parsed thresholds (see {@link parseRulesConfig}). */
  rules: RulesConfig;
  /** Whether the lost-reason field is mapped; `closed_lost_missing_reason` is off otherwise. */
  lostReasonMapped: boolean;
}

/** Everything one engine run reads for one connection. */
export interface EngineInput {
  settings: EngineSettings;
  /** Open and closed deals (closed ones are the history benchmarks are learned from). */
  deals: readonly Deal[];
  activities: readonly Activity[];
  stageChanges: readonly StageChange[];
  fieldChanges: readonly DealFieldChange[];
  stages: readonly Stage[];
  owners: readonly Owner[];
  /** Daily snapshots (for amount drops, pipeline changes and forecast-vs-last-week). */
  snapshots: readonly DealSnapshot[];
}

/**
 * Builds {@link EngineSettings} from a validated connection: resolves the time zone (its own,
 * else the schedule's), parses `rules`, and checks the zone exists. Issues carry paths
 * relative to the connection (`rules.stale_deal.days: ...`).
 */
export function engineSettingsFromConnection(
  conn: ConnectionSettings,
): { ok: true; settings: EngineSettings } | { ok: false; issues: string[] } {
  const issues: string[] = [];
  const timezone = conn.timezone ?? conn.schedule.timezone;
  if (!isValidTimeZone(timezone)) issues.push(`timezone: unknown IANA time zone "${timezone}"`);
  const rules = parseRulesConfig(conn.rules);
  if (!rules.ok) issues.push(...rules.issues.map((i) => `rules.${i}`));
  if (issues.length > 0 || !rules.ok) return { ok: false, issues };
  return {
    ok: true,
    settings: {
      connectionId: conn.id,
      timezone,
      reportingCurrency: conn.reportingCurrency,
      exchangeRates: conn.exchangeRates,
      quotas: conn.quotas,
      teamQuotas: conn.teamQuotas,
      forecastCategories: conn.forecastCategories,
      teams: conn.teams,
      keyAccounts: conn.keyAccounts,
      fiscalYearStartMonth: conn.fiscalYearStartMonth,
      rules: rules.config,
      lostReasonMapped: conn.fieldMap.lostReason !== undefined,
    },
  };
}
