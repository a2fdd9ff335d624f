/**
 * The engine's indexes over one {@link EngineInput}, built once per run: timestamps parsed to
 * epoch ms once, activities folded per deal into counters, histories grouped per deal, "today"
 * computed once in the connection's zone. Rules and scores then do Map lookups only.
 */
import type { Deal } from './model/deal.js';
import type { Stage } from './model/stage.js';
import type { EngineInput, EngineSettings } from './engine-input.js';
import type { MoneyContext } from './money.js';
import type { RulesConfig } from './rules/config.js';
import { createDayClock, dayOfIsoDate, MS_PER_DAY, type DayClock } from './time.js';

/** A stage with its rank among its pipeline's stages. */
export interface StageInfo {
  stage: Stage;
  /** 0-based rank among the pipeline's stages sorted by `order`. */
  rank: number;
  /** 0-based rank among the pipeline's open stages; -1 for closed stages. */
  openRank: number;
}

/** What a deal's activities say, folded once (only activities that count as rep activity). */
export interface ActivityStats {
  /** Latest counted activity at or before now; -Infinity when none. */
  lastMs: number;
  /** Times of counted activities (unsorted). */
  countedMs: number[];
  /** Counted activities in the last 30 days, by direction. */
  inbound30: number;
  outbound30: number;
  other30: number;
  /** Open tasks (any due date) and meetings scheduled after now. */
  openTasks: number;
  futureMeetings: number;
  /** Earliest upcoming open task / meeting; Infinity when none. */
  nextMs: number;
}

export interface ParsedStageChange {
  fromStageId: string | null;
  toStageId: string;
  atMs: number;
}

export interface ParsedCloseDateChange {
  oldDay: number;
  newDay: number;
  atMs: number;
  oldValue: string | null;
  newValue: string | null;
}

/** Indexes of one run. */
export interface Book {
  input: EngineInput;
  settings: EngineSettings;
  cfg: RulesConfig;
  money: MoneyContext;
  clock: DayClock;
  nowMs: number;
  /** Local day number of now in the connection's zone. */
  today: number;
  stageByKey: Map<string, StageInfo>;
  stagesByPipeline: Map<string, Stage[]>;
  activityByDeal: Map<string, ActivityStats>;
  stageChangesByDeal: Map<string, ParsedStageChange[]>;
  closeDateChangesByDeal: Map<string, ParsedCloseDateChange[]>;
  /** The latest snapshot on or before `today - amount_decreased.days`, per deal. */
  amountBaselineByDeal: Map<string, { day: number; amount: number | null; currency: string | null }>;
  dealsById: Map<string, Deal>;
}

/** Key of a stage in {@link Book.stageByKey}. */
export function stageKey(pipeline: string, stageId: string): string {
  return `${pipeline}/${stageId}`;
}

const EMPTY_STATS: ActivityStats = Object.freeze({
  lastMs: -Infinity,
  countedMs: [] as number[],
  inbound30: 0,
  outbound30: 0,
  other30: 0,
  openTasks: 0,
  futureMeetings: 0,
  nextMs: Infinity,
}) as ActivityStats;

/** Stats of a deal without activities. */
export function emptyStats(): ActivityStats {
  return EMPTY_STATS;
}

/** Builds the indexes; `now` is the run's instant (epoch ms or Date). */
export function buildBook(input: EngineInput, now: Date | number): Book {
  const nowMs = typeof now === 'number' ? now : now.getTime();
  const settings = input.settings;
  const clock = createDayClock(settings.timezone);
  const today = clock.dayOf(nowMs);
  const cfg = settings.rules;

  const stagesByPipeline = new Map<string, Stage[]>();
  for (const s of input.stages) {
    const list = stagesByPipeline.get(s.pipeline);
    if (list) list.push(s);
    else stagesByPipeline.set(s.pipeline, [s]);
  }
  const stageByKey = new Map<string, StageInfo>();
  for (const list of stagesByPipeline.values()) {
    list.sort((a, b) => a.order - b.order);
    let openRank = 0;
    list.forEach((stage, rank) => {
      stageByKey.set(stageKey(stage.pipeline, stage.id), { stage, rank, openRank: stage.isClosed ? -1 : openRank++ });
    });
  }

  const dealsById = new Map<string, Deal>();
  for (const d of input.deals) if (!d.isDeleted) dealsById.set(d.externalId, d);

  const activityByDeal = foldActivities(input, nowMs);

  const stageChangesByDeal = new Map<string, ParsedStageChange[]>();
  for (const c of input.stageChanges) {
    const p: ParsedStageChange = { fromStageId: c.fromStageId, toStageId: c.toStageId, atMs: Date.parse(c.at) };
    if (Number.isNaN(p.atMs)) continue;
    const list = stageChangesByDeal.get(c.dealId);
    if (list) list.push(p);
    else stageChangesByDeal.set(c.dealId, [p]);
  }
  for (const list of stageChangesByDeal.values()) if (list.length > 1) list.sort((a, b) => a.atMs - b.atMs);

  const closeDateChangesByDeal = new Map<string, ParsedCloseDateChange[]>();
  for (const c of input.fieldChanges) {
    if (c.field !== 'closeDate') continue;
    const p: ParsedCloseDateChange = {
      oldDay: c.oldValue === null ? NaN : dayOfIsoDate(c.oldValue),
      newDay: c.newValue === null ? NaN : dayOfIsoDate(c.newValue),
      atMs: Date.parse(c.at),
      oldValue: c.oldValue,
      newValue: c.newValue,
    };
    if (Number.isNaN(p.atMs)) continue;
    const list = closeDateChangesByDeal.get(c.dealId);
    if (list) list.push(p);
    else closeDateChangesByDeal.set(c.dealId, [p]);
  }
  for (const list of closeDateChangesByDeal.values()) if (list.length > 1) list.sort((a, b) => a.atMs - b.atMs);

  const baselineDay = today - cfg.amount_decreased.days;
  const amountBaselineByDeal = new Map<string, { day: number; amount: number | null; currency: string | null }>();
  for (const s of input.snapshots) {
    const day = dayOfIsoDate(s.day);
    if (!(day <= baselineDay)) continue;
    const prev = amountBaselineByDeal.get(s.dealId);
    if (!prev || prev.day < day) amountBaselineByDeal.set(s.dealId, { day, amount: s.amount, currency: s.currency });
  }

  return {
    input,
    settings,
    cfg,
    money: { reportingCurrency: settings.reportingCurrency, exchangeRates: settings.exchangeRates },
    clock,
    nowMs,
    today,
    stageByKey,
    stagesByPipeline,
    activityByDeal,
    stageChangesByDeal,
    closeDateChangesByDeal,
    amountBaselineByDeal,
    dealsById,
  };
}

/**
 * Whether an activity is rep activity: not ours (origin `dealwatch`), not deleted, not in the
 * future, and for tasks only when completed.
 */
export function countsAsActivity(type: string, completed: boolean, origin: string, isDeleted: boolean, atMs: number, nowMs: number): boolean {
  if (origin === 'dealwatch' || isDeleted || !(atMs <= nowMs)) return false;
  return type !== 'task' || completed;
}

function foldActivities(input: EngineInput, nowMs: number): Map<string, ActivityStats> {
  const out = new Map<string, ActivityStats>();
  const since30 = nowMs - 30 * MS_PER_DAY;
  for (const a of input.activities) {
    if (a.isDeleted || a.origin === 'dealwatch' || a.dealIds.length === 0) continue;
    const atMs = Date.parse(a.occurredAt);
    if (Number.isNaN(atMs)) continue;
    const counted = countsAsActivity(a.type, a.completed, a.origin, a.isDeleted, atMs, nowMs);
    const openTask = a.type === 'task' && !a.completed;
    const futureMeeting = a.type === 'meeting' && atMs > nowMs;
    if (!counted && !openTask && !futureMeeting) continue;
    for (const dealId of a.dealIds) {
      let s = out.get(dealId);
      if (!s) {
        s = { lastMs: -Infinity, countedMs: [], inbound30: 0, outbound30: 0, other30: 0, openTasks: 0, futureMeetings: 0, nextMs: Infinity };
        out.set(dealId, s);
      }
      if (counted) {
        if (atMs > s.lastMs) s.lastMs = atMs;
        s.countedMs.push(atMs);
        if (atMs >= since30) {
          if (a.direction === 'inbound') s.inbound30++;
          else if (a.direction === 'outbound') s.outbound30++;
          else s.other30++;
        }
      }
      if (openTask) s.openTasks++;
      if (futureMeeting) s.futureMeetings++;
      if ((openTask || futureMeeting) && atMs > nowMs && atMs < s.nextMs) s.nextMs = atMs;
    }
  }
  return out;
}
