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
import { createDayClock, dayOfIsoDate, MS_PER_DAY, parseInstant, type DayClock } from './time.js';

/** A stage with its rank among its pipeline's stages. */
export interface StageInfo {
  stage: Stage;
  /** 0-based rank among the pipeline's stages sorted by `order`. */
  rank: number;
  /** 0-based rank among the pipeline's open stages; -1 for closed stages. */
  openRank: number;
  /** Its key in {@link IndexedInput.stageByKey} (`pipeline/stageId`), built once. */
  key: string;
}

/** What a deal's activities say, folded once (only activities that count as rep activity). */
export interface ActivityStats {
  /** Latest counted activity at or before now; -Infinity when none. */
  lastMs: number;
  /**
   * Whether a counted activity happened in the `activity_not_logged.days` before the deal's
   * last move into its current stage (false when there is no such move).
   */
  loggedBeforeLastMove: boolean;
  /** When the deal last moved into its current stage (latest history entry at or before now); NaN when none. */
  lastMoveMs: number;
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
  /** The CRM's timestamp as given (for evidence, without re-formatting). */
  at: string;
}

export interface ParsedCloseDateChange {
  oldDay: number;
  newDay: number;
  atMs: number;
  oldValue: string | null;
  newValue: string | null;
}

/** The amount a deal had `amount_decreased.days` ago. */
export interface AmountBaseline {
  day: number;
  amount: number | null;
  currency: string | null;
}

/**
 * What the indexes hold for one deal id, found with one lookup (the rules read all of it for every
 * deal; a map per kind cost one lookup each).
 */
export interface DealRecord {
  /** Index into the activity counters; -1 when no live deal has this id (deleted, or history only). */
  slot: number;
  /** Stage changes, oldest first. */
  stageChanges: ParsedStageChange[] | undefined;
  /** Close-date changes, oldest first. */
  closeDateChanges: ParsedCloseDateChange[] | undefined;
  /** Amount `amount_decreased.days` ago: latest snapshot on or before that day, else rebuilt from amount history. */
  amountBaseline: AmountBaseline | undefined;
}

/** Indexes of one run. */
export interface IndexedInput {
  input: EngineInput;
  settings: EngineSettings;
  cfg: RulesConfig;
  money: MoneyContext;
  clock: DayClock;
  nowMs: number;
  /** Local day number of now in the connection's zone. */
  today: number;
  stageByKey: Map<string, StageInfo>;
  /** The stage `stageId` of `pipeline`, without building a key (the per-deal lookups). */
  stageOf(pipeline: string, stageId: string): StageInfo | undefined;
  stagesByPipeline: Map<string, Stage[]>;
  /** Everything indexed about a deal id (any id seen in deals or history); undefined when none. */
  recordOf(dealId: string): DealRecord | undefined;
  /** The record of `input.deals[i]` (undefined for deleted deals), so a walk over the input needs no lookup. */
  dealRecords: readonly (DealRecord | undefined)[];
  /** A deal's activity stats (shared empty stats for deals without activity). */
  statsOf(dealId: string): ActivityStats;
  /** The activity stats of a record's slot (see {@link DealRecord.slot}). */
  statsAt(slot: number): ActivityStats;
  /** `Date.parse` of every activity's `occurredAt`, aligned with `input.activities` (NaN when invalid). */
  activityMs: readonly number[];
  dealsById: Map<string, Deal>;
}

/** Key of a stage in {@link IndexedInput.stageByKey}. */
export function stageKey(pipeline: string, stageId: string): string {
  return `${pipeline}/${stageId}`;
}

const EMPTY_STATS: ActivityStats = Object.freeze({
  lastMs: -Infinity,
  loggedBeforeLastMove: false,
  lastMoveMs: NaN,
  inbound30: 0,
  outbound30: 0,
  other30: 0,
  openTasks: 0,
  futureMeetings: 0,
  nextMs: Infinity,
}) as ActivityStats;

/** Builds the indexes; `now` is the run's instant (epoch ms or Date). */
export function indexInput(input: EngineInput, now: Date | number): IndexedInput {
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
  const stagesOfPipeline = new Map<string, Map<string, StageInfo>>();
  for (const [pipeline, list] of stagesByPipeline) {
    list.sort((a, b) => a.order - b.order);
    const byId = new Map<string, StageInfo>();
    stagesOfPipeline.set(pipeline, byId);
    let openRank = 0;
    list.forEach((stage, rank) => {
      const info: StageInfo = { stage, rank, openRank: stage.isClosed ? -1 : openRank++, key: stageKey(stage.pipeline, stage.id) };
      stageByKey.set(info.key, info);
      byId.set(stage.id, info);
    });
  }

  // Live deals take slots 0..n-1 in dealsById order; ids seen only in history get records with slot -1.
  const dealsById = new Map<string, Deal>();
  const records = new Map<string, DealRecord>();
  /** Live deal id -> slot: the activity fold reads a number per activity, not a record object. */
  const slotById = new Map<string, number>();
  const dealRecords = new Array<DealRecord | undefined>(input.deals.length);
  for (let i = 0; i < input.deals.length; i++) {
    const d = input.deals[i]!;
    if (d.isDeleted) continue;
    const known = dealsById.size;
    dealsById.set(d.externalId, d);
    let r: DealRecord | undefined;
    // a new id grows the map (no lookup needed); a repeated id shares the first one's record
    if (dealsById.size > known) {
      records.set(d.externalId, (r = { slot: known, stageChanges: undefined, closeDateChanges: undefined, amountBaseline: undefined }));
      slotById.set(d.externalId, known);
    } else r = records.get(d.externalId);
    dealRecords[i] = r;
  }
  const recordFor = (dealId: string): DealRecord => {
    let r = records.get(dealId);
    if (!r) records.set(dealId, (r = { slot: -1, stageChanges: undefined, closeDateChanges: undefined, amountBaseline: undefined }));
    return r;
  };

  for (const c of input.stageChanges) {
    const p: ParsedStageChange = { fromStageId: c.fromStageId, toStageId: c.toStageId, atMs: parseInstant(c.at), at: c.at };
    if (Number.isNaN(p.atMs)) continue;
    const r = recordFor(c.dealId);
    if (r.stageChanges) r.stageChanges.push(p);
    else r.stageChanges = [p];
  }
  for (const r of records.values()) {
    const list = r.stageChanges;
    if (list && list.length > 1 && !isSorted(list)) list.sort((a, b) => a.atMs - b.atMs);
  }
  const { statsAt, activityMs } = foldActivities(input, nowMs, dealsById, records, cfg.activity_not_logged.days * MS_PER_DAY);

  let closeDateChanges = 0;
  for (const c of input.fieldChanges) {
    if (c.field !== 'closeDate') continue;
    const p: ParsedCloseDateChange = {
      oldDay: c.oldValue === null ? NaN : dayOfIsoDate(c.oldValue),
      newDay: c.newValue === null ? NaN : dayOfIsoDate(c.newValue),
      atMs: parseInstant(c.at),
      oldValue: c.oldValue,
      newValue: c.newValue,
    };
    if (Number.isNaN(p.atMs)) continue;
    const r = recordFor(c.dealId);
    if (r.closeDateChanges) r.closeDateChanges.push(p);
    else r.closeDateChanges = [p];
    closeDateChanges++;
  }
  // A CRM sync without close-date history (HubSpot list pulls carry none): the daily snapshots
  // still show each move, dated at the start of the day of the snapshot that first saw it.
  if (closeDateChanges === 0 && input.snapshots.length > 0) closeDateChangesFromSnapshots(input, clock, recordFor);
  for (const r of records.values())
    if (r.closeDateChanges && r.closeDateChanges.length > 1) r.closeDateChanges.sort((a, b) => a.atMs - b.atMs);

  // Amount baseline: the latest snapshot on or before `today - days`; without snapshots (a new
  // connection), the amount as of `now - days` rebuilt from the amount field history.
  const baselineDay = today - cfg.amount_decreased.days;
  for (const s of input.snapshots) {
    const day = dayOfIsoDate(s.day);
    if (!(day <= baselineDay)) continue;
    const r = recordFor(s.dealId);
    const prev = r.amountBaseline;
    if (!prev || prev.day < day) r.amountBaseline = { day, amount: s.amount, currency: s.currency };
  }
  const baselineMs = nowMs - cfg.amount_decreased.days * MS_PER_DAY;
  const amountHistory = new Map<string, { atMs: number; oldValue: string | null; newValue: string | null }[]>();
  for (const c of input.fieldChanges) {
    if (c.field !== 'amount' || records.get(c.dealId)?.amountBaseline !== undefined) continue;
    const atMs = parseInstant(c.at);
    if (Number.isNaN(atMs) || atMs > nowMs) continue;
    const list = amountHistory.get(c.dealId);
    const item = { atMs, oldValue: c.oldValue, newValue: c.newValue };
    if (list) list.push(item);
    else amountHistory.set(c.dealId, [item]);
  }
  for (const [dealId, list] of amountHistory) {
    const deal = dealsById.get(dealId);
    if (!deal) continue;
    let before: (typeof list)[number] | undefined;
    let after: (typeof list)[number] | undefined;
    for (const c of list) {
      if (c.atMs <= baselineMs) {
        if (!before || c.atMs > before.atMs) before = c;
      } else if (!after || c.atMs < after.atMs) after = c;
    }
    if (!after) continue; // unchanged since the baseline
    const raw = before ? before.newValue : after.oldValue;
    const amount = raw === null || raw.trim() === '' ? null : Number(raw);
    if (amount !== null && !Number.isFinite(amount)) continue;
    recordFor(dealId).amountBaseline = { day: baselineDay, amount, currency: deal.currency };
  }
  const statsOf = (dealId: string): ActivityStats => statsAt(slotById.get(dealId) ?? -1);

  return {
    input,
    settings,
    cfg,
    money: { reportingCurrency: settings.reportingCurrency, exchangeRates: settings.exchangeRates },
    clock,
    nowMs,
    today,
    stageByKey,
    stageOf: (pipeline, stageId) => stagesOfPipeline.get(pipeline)?.get(stageId),
    stagesByPipeline,
    recordOf: (dealId) => records.get(dealId),
    dealRecords,
    statsOf,
    statsAt,
    activityMs,
    dealsById,
  };
}

/**
 * Whether an activity is rep activity: not ours (origin `dealwatch`), not deleted, not in the
 * future, and for tasks only when completed.
 */
export function countsAsActivity(
  type: string,
  completed: boolean,
  origin: string,
  isDeleted: boolean,
  atMs: number,
  nowMs: number,
): boolean {
  if (origin === 'dealwatch' || isDeleted || !(atMs <= nowMs)) return false;
  return type !== 'task' || completed;
}

function closeDateChangesFromSnapshots(input: EngineInput, clock: DayClock, recordFor: (dealId: string) => DealRecord): void {
  const byDeal = new Map<string, { day: number; closeDate: string | null }[]>();
  for (const s of input.snapshots) {
    const day = dayOfIsoDate(s.day);
    if (Number.isNaN(day)) continue;
    const list = byDeal.get(s.dealId);
    if (list) list.push({ day, closeDate: s.closeDate });
    else byDeal.set(s.dealId, [{ day, closeDate: s.closeDate }]);
  }
  for (const [dealId, list] of byDeal) {
    if (list.length < 2) continue;
    list.sort((a, b) => a.day - b.day);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const cur = list[i]!;
      if (cur.closeDate === prev.closeDate || cur.day === prev.day) continue;
      const change: ParsedCloseDateChange = {
        oldDay: prev.closeDate === null ? NaN : dayOfIsoDate(prev.closeDate),
        newDay: cur.closeDate === null ? NaN : dayOfIsoDate(cur.closeDate),
        atMs: clock.startOfDay(cur.day),
        oldValue: prev.closeDate,
        newValue: cur.closeDate,
      };
      const r = recordFor(dealId);
      if (r.closeDateChanges) r.closeDateChanges.push(change);
      else r.closeDateChanges = [change];
    }
  }
}

function isSorted(list: readonly { atMs: number }[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.atMs > list[i]!.atMs) return false;
  return true;
}

/** The latest move at or before now, when it went into the deal's current stage. */
export function lastMoveInto(
  changes: readonly ParsedStageChange[] | undefined,
  stageId: string,
  nowMs: number,
): ParsedStageChange | undefined {
  if (!changes) return undefined;
  for (let i = changes.length - 1; i >= 0; i--) {
    const c = changes[i]!;
    if (c.atMs > nowMs) continue;
    return c.toStageId === stageId ? c : undefined;
  }
  return undefined;
}

/**
 * Folds activities into each live deal's {@link ActivityStats}, in one pass. Each deal's last move
 * into its stage is known first, so "was activity logged before the move" is folded in the same pass.
 */
function foldActivities(
  input: EngineInput,
  nowMs: number,
  dealsById: Map<string, Deal>,
  records: Map<string, DealRecord>,
  notLoggedWindowMs: number,
): { statsAt: (slot: number) => ActivityStats; activityMs: number[] } {
  // Every live deal starts with empty stats and the time of its last move into its stage.
  const stats: ActivityStats[] = [];
  for (const [id, deal] of dealsById) {
    const record = records.get(id)!;
    const move = lastMoveInto(record.stageChanges, deal.stageId, nowMs);
    stats[record.slot] = move ? { ...EMPTY_STATS, lastMoveMs: move.atMs } : EMPTY_STATS;
  }
  const statsFor = (slot: number): ActivityStats => (stats[slot] === EMPTY_STATS ? (stats[slot] = { ...EMPTY_STATS }) : stats[slot]!);
  const since30 = nowMs - 30 * MS_PER_DAY;
  const activityMs = input.activities.map((a) => parseInstant(a.occurredAt));
  input.activities.forEach((a, i) => {
    const atMs = activityMs[i]!;
    // our own notes and deleted activities are not the rep's
    if (a.isDeleted || a.origin === 'dealwatch' || Number.isNaN(atMs)) return;
    const counted = countsAsActivity(a.type, a.completed, a.origin, a.isDeleted, atMs, nowMs);
    const openTask = a.type === 'task' && !a.completed;
    const futureMeeting = a.type === 'meeting' && atMs > nowMs;
    if (!counted && !openTask && !futureMeeting) return;
    for (const dealId of a.dealIds) {
      const slot = records.get(dealId)?.slot ?? -1;
      if (slot < 0) continue;
      const s = statsFor(slot);
      if (counted) {
        s.lastMs = Math.max(s.lastMs, atMs);
        if (atMs >= since30) {
          if (a.direction === 'inbound') s.inbound30++;
          else if (a.direction === 'outbound') s.outbound30++;
          else s.other30++;
        }
        if (atMs <= s.lastMoveMs && atMs >= s.lastMoveMs - notLoggedWindowMs) s.loggedBeforeLastMove = true;
      }
      if (openTask) s.openTasks++;
      if (futureMeeting) s.futureMeetings++;
      if ((openTask || futureMeeting) && atMs > nowMs) s.nextMs = Math.min(s.nextMs, atMs);
    }
  });
  return { statsAt: (slot) => (slot < 0 ? EMPTY_STATS : stats[slot]!), activityMs };
}
