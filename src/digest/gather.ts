/**
 * Fills a digest's content from what the engine already computes: the forecast roll-up (quota and
 * gap) and the coaching report through the review service, the findings ledger (risks opened and
 * resolved), the CRM's stage and close-date history (moves, pushes, wins, losses) since the
 * previous digest, as the send ledger records it.
 */
import { crmRecordUrl } from '../../connectors/registry.js';
import type { ConnectionSettings, Deal, DigestSettings, Severity } from '../domain/model/index.js';
import { digestIdOf } from '../domain/model/index.js';
import { createDayClock, isoDateOfDay } from '../domain/time.js';
import { pagePaths } from '../server/pages/paths.js';
import type { ReviewService } from '../server/ports.js';
import type { Store } from '../store/types.js';
import type { DigestContent, DigestDeal } from './content.js';

const DAY_MS = 86_400_000;
/** Deals listed per rep under "top risks". */
const DEALS_PER_REP = 3;
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export interface GatherDeps {
  store: Pick<Store, 'deals' | 'owners' | 'stages' | 'history' | 'findings' | 'digestSends'>;
  reviews: Pick<ReviewService, 'rollup' | 'reps'>;
  /** `publicUrl`: where the web app's deal pages are; null leaves those links out. */
  publicUrl: string | null;
}

/** The digest's content at `tick` (its schedule instant, or now for `dealwatch digest`). */
export async function gatherDigest(
  deps: GatherDeps,
  settings: ConnectionSettings,
  digest: Pick<DigestSettings, 'id' | 'connection' | 'team' | 'timezone'>,
  tick: Date,
): Promise<DigestContent> {
  const { store } = deps;
  const connectionId = settings.id;
  const digestId = digestIdOf(digest);
  const team = digest.team ?? null;
  const previous = await store.digestSends.lastSentTick(digestId, tick.toISOString());
  const since = previous ?? new Date(tick.getTime() - DAY_MS).toISOString();

  const [rollup, reps, owners, stages, openDeals, openFindings, resolvedFindings, stageChanges, fieldChanges] = await Promise.all([
    deps.reviews.rollup(connectionId, tick),
    deps.reviews.reps(connectionId, tick),
    store.owners.list(connectionId),
    store.stages.list(connectionId),
    store.deals.loadOpen(connectionId),
    store.findings.openForDeals(connectionId),
    store.findings.list(connectionId, { status: 'resolved', limit: 1000 }),
    store.history.stageChanges(connectionId, { since }),
    store.history.fieldChanges(connectionId, { since }),
  ]);

  // The team's reps: the configured list, else the CRM's team of each owner.
  const teamOwners =
    team === null ? null : new Set(settings.teams?.[team] ?? owners.filter((o) => o.team === team).map((o) => o.externalId));
  const ownerName = new Map(owners.map((o) => [o.externalId, o.name]));
  const deals = new Map(openDeals.map((d) => [d.externalId, d]));
  const missing = new Set<string>();
  for (const id of [...resolvedFindings.map((f) => f.dealId), ...stageChanges.map((c) => c.dealId), ...fieldChanges.map((c) => c.dealId)]) {
    if (!deals.has(id)) missing.add(id);
  }
  for (const deal of await Promise.all([...missing].map((id) => store.deals.get(connectionId, id)))) {
    if (deal) deals.set(deal.externalId, deal);
  }
  const inScope = (deal: Deal | undefined): deal is Deal =>
    deal !== undefined && !deal.isDeleted && (teamOwners === null || (deal.ownerId !== null && teamOwners.has(deal.ownerId)));
  const publicUrl = deps.publicUrl?.replace(/\/+$/, '') ?? null;
  const ref = (deal: Deal): DigestDeal => ({
    dealId: deal.externalId,
    name: deal.name || deal.externalId,
    ownerName: deal.ownerId === null ? '(no owner)' : (ownerName.get(deal.ownerId) ?? deal.ownerId),
    amount: deal.amount,
    currency: deal.currency ?? settings.reportingCurrency,
    crmUrl: crmRecordUrl(settings, deal.externalId),
    pageUrl: publicUrl === null ? null : publicUrl + pagePaths.deal(connectionId, deal.externalId),
  });
  const toReporting = (deal: Deal): number | null => {
    if (deal.amount === null) return 0;
    if (deal.currency === null || deal.currency === settings.reportingCurrency) return deal.amount;
    const rate = settings.exchangeRates?.[deal.currency];
    return rate === undefined ? null : deal.amount * rate;
  };
  const bySize = (a: Deal, b: Deal) => (toReporting(b) ?? 0) - (toReporting(a) ?? 0) || a.externalId.localeCompare(b.externalId);
  const stageLabel = (pipeline: string, id: string | null) =>
    id === null ? '-' : (stages.find((s) => s.pipeline === pipeline && s.id === id)?.label ?? id);
  const stageOf = (pipeline: string, id: string) => stages.find((s) => s.pipeline === pipeline && s.id === id);

  // Forecast: the current quarter, the team's line or everyone's.
  const quarter = rollup.quarters[0];
  const line = quarter === undefined ? undefined : team === null ? quarter.total : quarter.teams.find((t) => t.team === team);
  const forecast: DigestContent['forecast'] =
    quarter === undefined || line === undefined
      ? null
      : {
          period: quarter.period.label,
          closedWon: line.closedWon,
          commit: line.commit,
          bestCase: line.bestCase,
          expected: line.expected,
          quota: line.quota,
          gap: line.gap,
          attainment: line.attainment,
          expectedAttainment: line.expectedAttainment,
        };

  // What changed since the previous digest.
  const sinceMs = Date.parse(since);
  const newRisks = openFindings
    .filter((f) => f.severity !== 'info' && Date.parse(f.firstSeenAt) >= sinceMs && inScope(deals.get(f.dealId)))
    .map((f) => ({ deal: deals.get(f.dealId)!, f }))
    .sort(
      (a, b) => SEVERITY_RANK[a.f.severity] - SEVERITY_RANK[b.f.severity] || bySize(a.deal, b.deal) || a.f.ruleId.localeCompare(b.f.ruleId),
    )
    .map(({ deal, f }) => ({ deal: ref(deal), ruleId: f.ruleId, severity: f.severity, message: f.message }));
  const resolvedByDeal = new Map<string, string[]>();
  for (const f of resolvedFindings) {
    const deal = deals.get(f.dealId);
    if (f.resolvedAt === null || Date.parse(f.resolvedAt) < sinceMs || !inScope(deal) || deal.isClosed) continue;
    resolvedByDeal.set(f.dealId, [...(resolvedByDeal.get(f.dealId) ?? []), f.ruleId]);
  }
  const resolved = [...resolvedByDeal.entries()]
    .map(([id, ruleIds]) => ({ deal: deals.get(id)!, ruleIds: ruleIds.sort() }))
    .sort((a, b) => bySize(a.deal, b.deal))
    .map((r) => ({ deal: ref(r.deal), ruleIds: r.ruleIds }));
  const moves = stageChanges.filter((c) => Date.parse(c.at) >= sinceMs && inScope(deals.get(c.dealId)));
  const closedBy = (won: boolean) =>
    [
      ...new Set(
        moves
          .filter(
            (c) =>
              stageOf(deals.get(c.dealId)!.pipeline, c.toStageId)?.isClosed === true &&
              stageOf(deals.get(c.dealId)!.pipeline, c.toStageId)?.isWon === won,
          )
          .map((c) => c.dealId),
      ),
    ]
      .map((id) => deals.get(id)!)
      .filter((d) => d.isClosed && d.isWon === won)
      .sort(bySize)
      .map(ref);
  const stageMoves = moves
    .filter((c) => c.fromStageId !== null && stageOf(deals.get(c.dealId)!.pipeline, c.toStageId)?.isClosed !== true)
    .map((c) => ({ deal: deals.get(c.dealId)!, c }))
    .sort((a, b) => bySize(a.deal, b.deal) || a.c.at.localeCompare(b.c.at))
    .map(({ deal, c }) => ({
      deal: ref(deal),
      from: stageLabel(deal.pipeline, c.fromStageId),
      to: stageLabel(deal.pipeline, c.toStageId),
    }));
  // A close date moved later; a deal pushed twice shows its first and last dates.
  const pushes = new Map<string, { from: string | null; to: string | null }>();
  for (const c of fieldChanges) {
    if (c.field !== 'closeDate' || Date.parse(c.at) < sinceMs || !inScope(deals.get(c.dealId))) continue;
    const seen = pushes.get(c.dealId);
    pushes.set(c.dealId, { from: seen?.from ?? c.oldValue, to: c.newValue });
  }
  const pushed = [...pushes.entries()]
    .filter(([id, p]) => p.from !== null && p.to !== null && p.to > p.from && !deals.get(id)!.isClosed)
    .map(([id, p]) => ({ deal: deals.get(id)!, p }))
    .sort((a, b) => bySize(a.deal, b.deal))
    .map(({ deal, p }) => ({ deal: ref(deal), from: p.from, to: p.to }));

  // Top risks: open warnings and critical findings on open deals, by rep, most money first.
  const riskyByRep = new Map<string | null, Map<string, { deal: Deal; severity: Severity; ruleIds: string[] }>>();
  for (const f of openFindings) {
    const deal = deals.get(f.dealId);
    if (f.severity === 'info' || !inScope(deal) || deal.isClosed) continue;
    let rep = riskyByRep.get(deal.ownerId);
    if (!rep) riskyByRep.set(deal.ownerId, (rep = new Map()));
    const entry = rep.get(deal.externalId);
    if (!entry) rep.set(deal.externalId, { deal, severity: f.severity, ruleIds: [f.ruleId] });
    else {
      entry.ruleIds.push(f.ruleId);
      if (SEVERITY_RANK[f.severity] < SEVERITY_RANK[entry.severity]) entry.severity = f.severity;
    }
  }
  const risksByRep = [...riskyByRep.entries()]
    .map(([ownerId, byDeal]) => {
      const list = [...byDeal.values()].sort((a, b) => bySize(a.deal, b.deal));
      return {
        rep: ownerId === null ? '(no owner)' : (ownerName.get(ownerId) ?? ownerId),
        atRisk: Math.round(list.reduce((sum, r) => sum + (toReporting(r.deal) ?? 0), 0) * 100) / 100,
        dealCount: list.length,
        deals: list.slice(0, DEALS_PER_REP).map((r) => ({ deal: ref(r.deal), severity: r.severity, ruleIds: [...r.ruleIds].sort() })),
      };
    })
    .sort((a, b) => b.atRisk - a.atRisk || a.rep.localeCompare(b.rep));

  const coaching = reps.coaching.reps
    .filter((r) => r.signal !== 'balanced' && (teamOwners === null || teamOwners.has(r.ownerId)))
    .map((r) => ({ rep: r.name, line: r.message }));

  return {
    digestId,
    connectionId,
    connectionName: settings.name ?? connectionId,
    team,
    asOf: tick.toISOString(),
    day: isoDateOfDay(createDayClock(digest.timezone).dayOf(tick.getTime())),
    timezone: digest.timezone,
    currency: rollup.currency,
    since,
    firstDigest: previous === null,
    forecast,
    changes: { newRisks, resolved, stageMoves, pushed, won: closedBy(true), lost: closedBy(false) },
    risksByRep,
    coaching,
    links:
      publicUrl === null
        ? null
        : {
            deals: publicUrl + pagePaths.deals(connectionId),
            forecast: publicUrl + pagePaths.forecast(connectionId),
            changes: publicUrl + pagePaths.changes(connectionId),
          },
  };
}
