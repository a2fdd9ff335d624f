/** What every report reads: the run's indexed input and evaluation, plus per-deal days computed once. */
import type { IndexedInput, ParsedStageChange } from '../indexed-input.js';
import type { Evaluation } from '../evaluate.js';
import type { Deal } from '../model/deal.js';
import { staleDaysFor } from '../rules/config.js';
import type { DealSnapshot } from '../model/history.js';
import { dayOfIsoDate, isoDateOfDay, MS_PER_DAY, parseInstant } from '../time.js';

/** Per-deal numbers reports need, computed once. */
export interface DealDays {
  deal: Deal;
  createdDay: number;
  /** Close date day; for closed deals without one, the day of the last modification. */
  closeDay: number;
  /** Open deal with no counted activity for the pipeline's stale days. */
  stale: boolean;
  /** Open deal with counted activity in the compliance window. */
  compliant: boolean;
  /** Stage probability (else the deal's, else 0). */
  probability: number;
  /** Stage changes, oldest first (looked up once for every report). */
  stageChanges: readonly ParsedStageChange[] | undefined;
}

/** Input shared by report builders. */
export interface ReportContext {
  indexed: IndexedInput;
  evaluation: Evaluation;
  /** Every non-deleted deal with its days. */
  deals: DealDays[];
  /** Owner id -> display name. */
  ownerName(id: string | null): string;
  /** Team name -> owner ids (config `teams`, else `Owner.team`). */
  teams: Map<string, string[]>;
  /** Owner ids that appear on deals, activities or the owner list, sorted. */
  ownerIds: string[];
  /**
   * The book as the snapshot job saw it on `day`: every snapshot of the latest snapshot day on or
   * before `day`, by deal (a deal missing from that day's set had left the book). Empty when no
   * snapshot is that old. Snapshots are grouped by day once, on first use; the map is shared
   * between callers (read it, never change it).
   */
  snapshotsAsOf(day: number): Map<string, DealSnapshot>;
}

/** Builds the report context for an evaluated book. */
export function reportContext(indexed: IndexedInput, evaluation: Evaluation): ReportContext {
  const { input, clock } = indexed;
  const complianceSince = indexed.nowMs - indexed.cfg.activity_not_logged.complianceDays * MS_PER_DAY;
  const deals: DealDays[] = [];
  const ownerSet = new Set<string>();
  for (const deal of input.deals) {
    if (deal.isDeleted) continue;
    const createdMs = parseInstant(deal.createdAt);
    const createdDay = Number.isNaN(createdMs) ? indexed.today : clock.dayOf(createdMs);
    let closeDay = deal.closeDate === null ? NaN : dayOfIsoDate(deal.closeDate);
    if (deal.isClosed && Number.isNaN(closeDay)) {
      const m = parseInstant(deal.modifiedAt);
      closeDay = Number.isNaN(m) ? indexed.today : clock.dayOf(m);
    }
    let stale = false;
    let compliant = false;
    const record = indexed.recordOf(deal.externalId);
    if (!deal.isClosed) {
      const stats = indexed.statsAt(record?.slot ?? -1);
      const lastTouch = Math.max(stats.lastMs, createdMs);
      const idle = Number.isFinite(lastTouch) ? indexed.today - clock.dayOf(lastTouch) : 0;
      stale = idle >= staleDaysFor(indexed.cfg, deal.pipeline);
      compliant = stats.lastMs >= complianceSince;
    }
    const stage = indexed.stageOf(deal.pipeline, deal.stageId);
    deals.push({
      deal,
      createdDay,
      closeDay,
      stale,
      compliant,
      probability: stage?.stage.probability ?? deal.probability ?? 0,
      stageChanges: record?.stageChanges,
    });
    if (deal.ownerId !== null) ownerSet.add(deal.ownerId);
  }
  const names = new Map<string, string>();
  for (const o of input.owners) {
    names.set(o.externalId, o.name);
    ownerSet.add(o.externalId);
  }
  const teams = new Map<string, string[]>();
  if (input.settings.teams && Object.keys(input.settings.teams).length > 0) {
    for (const [team, ids] of Object.entries(input.settings.teams)) teams.set(team, [...ids]);
  } else {
    for (const o of input.owners) {
      if (o.team === null) continue;
      const list = teams.get(o.team);
      if (list) list.push(o.externalId);
      else teams.set(o.team, [o.externalId]);
    }
  }
  let byDay: Map<string, DealSnapshot[]> | undefined;
  /** Day text -> its snapshots by deal: the week-ago book serves both the changes and the review. */
  const asOf = new Map<string, Map<string, DealSnapshot>>();
  return {
    indexed,
    evaluation,
    deals,
    ownerName: (id) => (id === null ? '(no owner)' : (names.get(id) ?? id)),
    teams,
    ownerIds: [...ownerSet].sort(),
    snapshotsAsOf: (day) => snapshotsAsOf((byDay ??= groupByDay(input.snapshots)), day, asOf),
  };
}

/** Snapshots grouped by their `day` text, in input order. */
function groupByDay(snapshots: readonly DealSnapshot[]): Map<string, DealSnapshot[]> {
  const out = new Map<string, DealSnapshot[]>();
  for (const s of snapshots) {
    const list = out.get(s.day);
    if (list) list.push(s);
    else out.set(s.day, [s]);
  }
  return out;
}

function snapshotsAsOf(
  byDay: Map<string, DealSnapshot[]>,
  day: number,
  built: Map<string, Map<string, DealSnapshot>>,
): Map<string, DealSnapshot> {
  let best = -Infinity;
  for (const text of byDay.keys()) {
    const d = dayOfIsoDate(text);
    if (d <= day && d > best) best = d;
  }
  if (best === -Infinity) return new Map();
  // the canonical text of that day only, as a snapshot job writes it
  const text = isoDateOfDay(best);
  let out = built.get(text);
  if (!out) {
    out = new Map();
    for (const s of byDay.get(text) ?? []) out.set(s.dealId, s);
    built.set(text, out);
  }
  return out;
}
