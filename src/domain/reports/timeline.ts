/**
 * A deal as it stood on any past day, rebuilt from the CRM's own history: stage changes
 * (Salesforce OpportunityHistory, HubSpot dealstage history), amount and close-date field
 * history, and the deal as it is now. This is what the waterfall and the backtest read, so both
 * work from the first sync, before any daily snapshot exists.
 *
 * Rules: the value of a field at the end of day D is the new value of its last change on or before
 * D; with no change by then, the old value of its first later change; with no change at all, the
 * current value. The owner has no history in either CRM's API we read, so the current owner is
 * used for every day. A closed deal closed on the day of its move into a closed stage; without
 * stage history, on its close date.
 */
import type { IndexedInput } from '../indexed-input.js';
import type { Deal } from '../model/deal.js';
import { toReporting } from '../money.js';
import { dayOfIsoDate, parseInstant } from '../time.js';

/** A deal on one day. Amount in the reporting currency when a rate allows, else its own. */
export interface DealState {
  stageId: string;
  open: boolean;
  won: boolean;
  amount: number;
  currency: string;
  closeDay: number;
}

interface Change<T> {
  day: number;
  oldValue: T;
  newValue: T;
}

/** One deal with its history, ready to answer "how did it stand on day D". */
export interface DealTimeline {
  deal: Deal;
  createdDay: number;
  /** Day it closed (NaN while open). */
  closedDay: number;
  stages: Change<string | null>[];
  amounts: Change<number | null>[];
  closeDates: Change<number>[];
  /** Days the close date moved later, oldest first. */
  pushDays: number[];
  /** Days with counted rep activity, ascending (duplicates kept). */
  activityDays: number[];
}

function valueAt<T>(changes: readonly Change<T>[], day: number, current: T): T {
  if (changes.length === 0) return current;
  let lo = 0;
  let hi = changes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (changes[mid]!.day <= day) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? (changes[0]!.oldValue ?? changes[0]!.newValue) : changes[lo - 1]!.newValue;
}

/** Number of entries of a sorted list that are <= day. */
export function countAtMost(sorted: readonly number[], day: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The deal at the end of `day`; null when it did not exist yet. */
export function stateAt(indexed: IndexedInput, t: DealTimeline, day: number): DealState | null {
  if (day < t.createdDay) return null;
  const d = t.deal;
  const stageId = valueAt(t.stages, day, d.stageId) ?? d.stageId;
  const info = indexed.stageOf(d.pipeline, stageId);
  let open: boolean;
  let won: boolean;
  if (info) {
    open = !info.stage.isClosed;
    won = info.stage.isWon;
  } else {
    open = !d.isClosed || !(t.closedDay <= day);
    won = !open && d.isWon;
  }
  // a closed deal without stage history was open until the day it closed
  if (!open && t.stages.length === 0 && !(t.closedDay <= day)) {
    open = true;
    won = false;
  }
  const raw = valueAt(t.amounts, day, d.amount) ?? 0;
  const m = toReporting(raw, d.currency, indexed.money);
  return {
    stageId,
    open,
    won,
    amount: m.amount,
    currency: m.currency,
    closeDay: valueAt(t.closeDates, day, dayOfIsoDate(d.closeDate ?? '')),
  };
}

/** Builds every live deal's timeline once. */
export function buildTimelines(indexed: IndexedInput): DealTimeline[] {
  const { input, clock } = indexed;
  const amountChanges = new Map<string, Change<number | null>[]>();
  const num = (v: string | null): number | null => {
    if (v === null || v.trim() === '') return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  };
  for (const c of input.fieldChanges) {
    if (c.field !== 'amount') continue;
    const ms = parseInstant(c.at);
    if (Number.isNaN(ms)) continue;
    const list = amountChanges.get(c.dealId) ?? [];
    list.push({ day: clock.dayOf(ms), oldValue: num(c.oldValue), newValue: num(c.newValue) });
    amountChanges.set(c.dealId, list);
  }
  const activityDays = new Map<string, number[]>();
  for (let i = 0; i < input.activities.length; i++) {
    const a = input.activities[i]!;
    const ms = indexed.activityMs[i]!;
    if (a.origin === 'dealwatch' || a.isDeleted || !(ms <= indexed.nowMs) || (a.type === 'task' && !a.completed)) continue;
    const day = clock.dayOf(ms);
    for (const id of a.dealIds) {
      const list = activityDays.get(id);
      if (list) list.push(day);
      else activityDays.set(id, [day]);
    }
  }
  const out: DealTimeline[] = [];
  for (const d of indexed.dealsById.values()) {
    const record = indexed.recordOf(d.externalId);
    const createdMs = parseInstant(d.createdAt);
    const createdDay = Number.isNaN(createdMs) ? indexed.today : clock.dayOf(createdMs);
    const stages = (record?.stageChanges ?? []).map((c) => ({ day: clock.dayOf(c.atMs), oldValue: c.fromStageId, newValue: c.toStageId }));
    let closedDay = NaN;
    if (d.isClosed) {
      const last = record?.stageChanges?.at(-1);
      if (last && last.toStageId === d.stageId) closedDay = clock.dayOf(last.atMs);
      else {
        closedDay = d.closeDate === null ? NaN : dayOfIsoDate(d.closeDate);
        if (Number.isNaN(closedDay)) {
          const m = parseInstant(d.modifiedAt);
          closedDay = Number.isNaN(m) ? indexed.today : clock.dayOf(m);
        }
      }
    }
    const closeDates: Change<number>[] = [];
    const pushDays: number[] = [];
    for (const c of record?.closeDateChanges ?? []) {
      const day = clock.dayOf(c.atMs);
      closeDates.push({ day, oldValue: c.oldDay, newValue: c.newDay });
      if (c.newDay > c.oldDay) pushDays.push(day);
    }
    const amounts = (amountChanges.get(d.externalId) ?? []).sort((a, b) => a.day - b.day);
    const acts = (activityDays.get(d.externalId) ?? []).sort((a, b) => a - b);
    out.push({ deal: d, createdDay, closedDay, stages, amounts, closeDates, pushDays, activityDays: acts });
  }
  return out;
}

/** Whether the deal had no counted activity in the `staleDays` days up to `day` (and is at least that old). */
export function staleOn(t: DealTimeline, day: number, staleDays: number): boolean {
  if (day - t.createdDay < staleDays) return false;
  const upTo = countAtMost(t.activityDays, day);
  const last = upTo === 0 ? -Infinity : t.activityDays[upTo - 1]!;
  return day - last >= staleDays;
}
