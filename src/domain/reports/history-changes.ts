/**
 * Pipeline changes rebuilt from the CRM's own history (stage, amount and close-date changes), so
 * the waterfall is right from the first sync, for any period the history covers. The daily
 * snapshots, where both days have one, confirm it: their waterfall is computed too, and every
 * bucket that disagrees is listed (a snapshot is taken at one moment of its day, history counts
 * the whole day; the owner has no history, so a reassigned deal moves with its current owner).
 */
import { dayOfIsoDate, isoDateOfDay } from '../time.js';
import {
  computePipelineChanges,
  rangeOf,
  waterfallOf,
  type ChangesOptions,
  type PipelineChanges,
  type Waterfall,
  type WaterfallState,
} from './changes.js';
import type { ReportContext } from './context.js';
import type { Period } from './period.js';
import { buildTimelines, stateAt, type DealTimeline } from './timeline.js';

const BUCKETS = ['start', 'new', 'pulledIn', 'increased', 'won', 'lost', 'decreased', 'pushedOut', 'end'] as const;

/** How the snapshots compare with the history's waterfall. */
export interface SnapshotCheck {
  /** True when both days have a snapshot set. */
  available: boolean;
  /** Null when unavailable. */
  agrees: boolean | null;
  differences: { currency: string; bucket: (typeof BUCKETS)[number]; history: number; snapshots: number }[];
}

export interface HistoryChanges extends PipelineChanges {
  source: 'history';
  snapshotCheck: SnapshotCheck;
}

export interface HistoryChangesOptions extends ChangesOptions {
  /** Timelines already built for this book. */
  timelines?: readonly DealTimeline[];
}

/** Computes the waterfall between two days from history, checked against snapshots when they exist. */
export function computeHistoryChanges(ctx: ReportContext, options: HistoryChangesOptions = {}): HistoryChanges {
  const { indexed } = ctx;
  const { fromDay, toDay, window } = rangeOf(ctx, options);
  const timelines = options.timelines ?? buildTimelines(indexed);
  const byId = new Map(timelines.map((t) => [t.deal.externalId, t]));
  const stateOn =
    (day: number) =>
    (id: string): WaterfallState | null => {
      const t = byId.get(id)!;
      const s = stateAt(indexed, t, day);
      if (!s) return null;
      return {
        ownerId: t.deal.ownerId,
        open: s.open,
        won: s.won,
        cents: Math.round(s.amount * 100),
        currency: s.currency,
        inWindow: inWindow(s.closeDay, window),
      };
    };
  const result = waterfallOf(ctx, fromDay, toDay, window, byId.keys(), stateOn(fromDay), stateOn(toDay));
  return { ...result, source: 'history', snapshotCheck: checkAgainstSnapshots(ctx, result, fromDay, toDay, window) };
}

function inWindow(closeDay: number, window: Period | null): boolean {
  return window === null || (closeDay >= window.startDay && closeDay < window.endDay);
}

function checkAgainstSnapshots(
  ctx: ReportContext,
  history: PipelineChanges,
  fromDay: number,
  toDay: number,
  window: Period | null,
): SnapshotCheck {
  const days = new Set<number>();
  for (const s of ctx.indexed.input.snapshots) days.add(dayOfIsoDate(s.day));
  if (!days.has(fromDay) || !days.has(toDay)) return { available: false, agrees: null, differences: [] };
  const snaps = computePipelineChanges(ctx, { from: isoDateOfDay(fromDay), to: isoDateOfDay(toDay), closeWithin: window });
  const differences: SnapshotCheck['differences'] = [];
  const byCurrency = (list: Waterfall[]) => new Map(list.map((w) => [w.currency, w]));
  const h = byCurrency(history.waterfalls);
  const s = byCurrency(snaps.waterfalls);
  for (const currency of [...new Set([...h.keys(), ...s.keys()])].sort()) {
    for (const bucket of BUCKETS) {
      const a = h.get(currency)?.[bucket] ?? 0;
      const b = s.get(currency)?.[bucket] ?? 0;
      if (Math.round(a * 100) !== Math.round(b * 100)) differences.push({ currency, bucket, history: a, snapshots: b });
    }
  }
  return { available: true, agrees: differences.length === 0, differences };
}
