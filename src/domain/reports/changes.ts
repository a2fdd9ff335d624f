/**
 * Pipeline changes between two days from the daily snapshots: a waterfall
 * `start + new + pulledIn + increased - won - lost - decreased - pushedOut = end` that adds up
 * exactly (amounts are summed in integer cents), per currency and per rep.
 *
 * The pipeline is the open deals whose close date falls in `closeWithin` (default: the fiscal
 * quarter of the end day); with `closeWithin: null`, every open deal, and nothing is pulled in
 * or pushed out. The book on a day is the latest daily snapshot set on or before that day; a deal
 * missing from the end set counts as won or lost by its last snapshot, else as lost (removed).
 */
import type { DealSnapshot } from '../model/history.js';
import { toReporting, type MoneyContext } from '../money.js';
import { dayOfIsoDate, isoDateOfDay } from '../time.js';
import type { ReportContext } from './context.js';
import { fiscalQuarter, type Period } from './period.js';

export type ChangeKind = 'new' | 'pulled_in' | 'increased' | 'won' | 'lost' | 'decreased' | 'pushed_out';

/** One waterfall, in one currency. Outflows are positive numbers subtracted from start. */
export interface Waterfall {
  currency: string;
  start: number;
  new: number;
  pulledIn: number;
  increased: number;
  won: number;
  lost: number;
  decreased: number;
  pushedOut: number;
  end: number;
}

/** One deal's move. */
export interface DealChange {
  dealId: string;
  ownerId: string | null;
  kind: ChangeKind;
  currency: string;
  /** Signed effect on the pipeline. */
  delta: number;
  before: number | null;
  after: number | null;
}

export interface PipelineChanges {
  fromDay: string;
  toDay: string;
  closeWithin: Period | null;
  /** One waterfall per currency (one when every amount converts to the reporting currency). */
  waterfalls: Waterfall[];
  byRep: { ownerId: string | null; waterfalls: Waterfall[] }[];
  changes: DealChange[];
}

export interface ChangesOptions {
  /** ISO day the comparison starts (default 7 days before today). */
  from?: string;
  /** ISO day it ends (default today). */
  to?: string;
  /** Close-date window defining the pipeline; null = all open deals. */
  closeWithin?: Period | null;
}

/** A deal's place in the pipeline on one day. */
export interface WaterfallState {
  ownerId: string | null;
  open: boolean;
  won: boolean;
  cents: number;
  currency: string;
  inWindow: boolean;
}

const emptyWaterfall = (currency: string): Waterfall => ({
  currency,
  start: 0,
  new: 0,
  pulledIn: 0,
  increased: 0,
  won: 0,
  lost: 0,
  decreased: 0,
  pushedOut: 0,
  end: 0,
});

/** Latest snapshot per deal on or before `day` (to tell won from removed for deals missing from a day's set). */
function latestPerDeal(snapshots: readonly DealSnapshot[], day: number, ids: ReadonlySet<string>): Map<string, DealSnapshot> {
  const out = new Map<string, DealSnapshot>();
  for (const s of snapshots) {
    if (!ids.has(s.dealId) || !(dayOfIsoDate(s.day) <= day)) continue;
    const prev = out.get(s.dealId);
    if (!prev || prev.day < s.day) out.set(s.dealId, s);
  }
  return out;
}

function stateOf(s: DealSnapshot | undefined, money: MoneyContext, window: Period | null): WaterfallState | null {
  if (!s) return null;
  const m = toReporting(s.amount ?? 0, s.currency, money);
  const closeDay = s.closeDate === null ? NaN : dayOfIsoDate(s.closeDate);
  return {
    ownerId: s.ownerId,
    open: !s.isClosed,
    won: s.isClosed && s.isWon,
    cents: Math.round(m.amount * 100),
    currency: m.currency,
    inWindow: window === null || (closeDay >= window.startDay && closeDay < window.endDay),
  };
}

/** Computes the waterfall between two days from the daily snapshots. */
export function computePipelineChanges(ctx: ReportContext, options: ChangesOptions = {}): PipelineChanges {
  const { indexed } = ctx;
  const { fromDay, toDay, window } = rangeOf(ctx, options);
  const startSnaps = ctx.snapshotsAsOf(fromDay);
  const endSnaps = ctx.snapshotsAsOf(toDay);
  // deals that left the end set: their last snapshot says whether they closed (won/lost) first
  const missing = new Set([...startSnaps.keys()].filter((id) => !endSnaps.has(id)));
  const lastSeen = latestPerDeal(indexed.input.snapshots, toDay, missing);
  const ids = new Set<string>([...startSnaps.keys(), ...endSnaps.keys()]);
  return waterfallOf(
    ctx,
    fromDay,
    toDay,
    window,
    ids,
    (id) => stateOf(startSnaps.get(id), indexed.money, window),
    (id) => {
      const endSnap = endSnaps.get(id) ?? lastSeen.get(id);
      return stateOf(endSnap !== undefined && (endSnaps.has(id) || endSnap.isClosed) ? endSnap : undefined, indexed.money, window);
    },
  );
}

/** The days and close-date window of a changes request. */
export function rangeOf(ctx: ReportContext, options: ChangesOptions): { fromDay: number; toDay: number; window: Period | null } {
  const { indexed } = ctx;
  const toDay = options.to !== undefined ? dayOfIsoDate(options.to) : indexed.today;
  const fromDay = options.from !== undefined ? dayOfIsoDate(options.from) : toDay - 7;
  const window = options.closeWithin === undefined ? fiscalQuarter(toDay, indexed.settings.fiscalYearStartMonth) : options.closeWithin;
  return { fromDay, toDay, window };
}

/**
 * Classifies every deal's move between its start and end state and sums the waterfall, per
 * currency and per rep, in integer cents. Shared by the snapshot and the history sources.
 */
export function waterfallOf(
  ctx: ReportContext,
  fromDay: number,
  toDay: number,
  window: Period | null,
  dealIds: Iterable<string>,
  startOf: (id: string) => WaterfallState | null,
  endOf: (id: string) => WaterfallState | null,
): PipelineChanges {
  const { indexed } = ctx;
  const changes: DealChange[] = [];
  const add = (
    dealId: string,
    ownerId: string | null,
    kind: ChangeKind,
    currency: string,
    deltaCents: number,
    before: number | null,
    after: number | null,
  ): void => {
    changes.push({
      dealId,
      ownerId,
      kind,
      currency,
      delta: deltaCents / 100,
      before: before === null ? null : before / 100,
      after: after === null ? null : after / 100,
    });
  };
  // start/end per (owner, currency) accumulate in cents
  const startCents: { ownerId: string | null; currency: string; cents: number }[] = [];
  const endCents: { ownerId: string | null; currency: string; cents: number }[] = [];
  for (const id of [...dealIds].sort()) {
    const s = startOf(id);
    const e = endOf(id);
    const inStart = s !== null && s.open && s.inWindow;
    const inEnd = e !== null && e.open && e.inWindow;
    if (inStart) startCents.push({ ownerId: s.ownerId, currency: s.currency, cents: s.cents });
    if (inEnd) endCents.push({ ownerId: e.ownerId, currency: e.currency, cents: e.cents });
    if (inStart && inEnd) {
      if (s.currency !== e.currency) {
        add(id, s.ownerId, 'decreased', s.currency, -s.cents, s.cents, 0);
        add(id, e.ownerId, 'increased', e.currency, e.cents, 0, e.cents);
      } else if (s.ownerId !== e.ownerId) {
        // reassigned: leaves one rep's waterfall, enters the other's (nets out for the team)
        add(id, s.ownerId, 'decreased', s.currency, -s.cents, s.cents, 0);
        add(id, e.ownerId, 'increased', e.currency, e.cents, 0, e.cents);
      } else if (e.cents !== s.cents)
        add(id, e.ownerId, e.cents > s.cents ? 'increased' : 'decreased', e.currency, e.cents - s.cents, s.cents, e.cents);
    } else if (inStart) {
      const kind: ChangeKind = e === null || (!e.open && !e.won) ? 'lost' : e.won ? 'won' : 'pushed_out';
      add(id, s.ownerId, kind, s.currency, -s.cents, s.cents, e?.cents ?? null);
    } else if (inEnd) {
      const existedOpen = s !== null && s.open;
      add(id, e.ownerId, existedOpen ? 'pulled_in' : 'new', e.currency, e.cents, s?.cents ?? null, e.cents);
    }
  }
  // one pass: cents per (owner, currency) and for everyone, then waterfalls
  type Cents = Record<keyof Omit<Waterfall, 'currency'>, number>;
  const zero = (): Cents => ({ start: 0, new: 0, pulledIn: 0, increased: 0, won: 0, lost: 0, decreased: 0, pushedOut: 0, end: 0 });
  const all = new Map<string, Cents>();
  const perOwner = new Map<string | null, Map<string, Cents>>();
  const bump = (owner: string | null, currency: string, field: keyof Cents, cents: number): void => {
    let o = perOwner.get(owner);
    if (!o) perOwner.set(owner, (o = new Map()));
    for (const m of [all, o]) {
      let c = m.get(currency);
      if (!c) m.set(currency, (c = zero()));
      c[field] += cents;
    }
  };
  const FIELD: Record<ChangeKind, keyof Cents> = {
    new: 'new',
    pulled_in: 'pulledIn',
    increased: 'increased',
    won: 'won',
    lost: 'lost',
    decreased: 'decreased',
    pushed_out: 'pushedOut',
  };
  for (const x of startCents) bump(x.ownerId, x.currency, 'start', x.cents);
  for (const x of endCents) bump(x.ownerId, x.currency, 'end', x.cents);
  for (const ch of changes) bump(ch.ownerId, ch.currency, FIELD[ch.kind], Math.abs(Math.round(ch.delta * 100)));
  const toWaterfalls = (m: Map<string, Cents> | undefined): Waterfall[] => {
    const out: Waterfall[] = [];
    for (const [currency, c] of m ?? []) {
      out.push({
        currency,
        start: c.start / 100,
        new: c.new / 100,
        pulledIn: c.pulledIn / 100,
        increased: c.increased / 100,
        won: c.won / 100,
        lost: c.lost / 100,
        decreased: c.decreased / 100,
        pushedOut: c.pushedOut / 100,
        end: c.end / 100,
      });
    }
    if (out.length === 0) out.push(emptyWaterfall(indexed.money.reportingCurrency));
    return out.sort((a, b) => a.currency.localeCompare(b.currency));
  };
  return {
    fromDay: isoDateOfDay(fromDay),
    toDay: isoDateOfDay(toDay),
    closeWithin: window,
    waterfalls: toWaterfalls(all),
    byRep: [...perOwner.keys()]
      .sort((a, b) => (a ?? '').localeCompare(b ?? ''))
      .map((o) => ({ ownerId: o, waterfalls: toWaterfalls(perOwner.get(o)) })),
    changes,
  };
}

/** Checks `start + inflows - outflows = end` in cents; the property tests use it. */
export function waterfallBalances(w: Waterfall): boolean {
  const c = (x: number): number => Math.round(x * 100);
  return c(w.start) + c(w.new) + c(w.pulledIn) + c(w.increased) - c(w.won) - c(w.lost) - c(w.decreased) - c(w.pushedOut) === c(w.end);
}
