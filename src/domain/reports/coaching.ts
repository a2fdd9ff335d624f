/**
 * Coaching and planning: effort gap vs skill gap per rep, reverse-funnel activity goals for next
 * week, workload balance, lead quality by source, and key accounts. Rates come from the
 * coaching look-back (`reports.coachingLookbackDays`, default 180 days).
 */
import { stageKey, type StageInfo } from '../indexed-input.js';
import { median } from '../benchmarks.js';
import { countsAsActivity } from '../indexed-input.js';
import { quotaOf } from '../model/connection.js';
import type { ScoreBand } from '../model/finding.js';
import { amountIn, MoneySum, toReporting, type MoneyTotal } from '../money.js';
import { groupThousands } from '../strings.js';
import { fiscalQuarterOf } from '../time.js';
import type { DealDays, ReportContext } from './context.js';

/** Stage-to-next conversion of decided deals: advanced / (advanced + lost while there). */
export interface StageRate {
  pipeline: string;
  stageId: string;
  label: string;
  advanced: number;
  lostAt: number;
  /** advanced + lostAt. */
  samples: number;
  rate: number | null;
}

export interface RepCoaching {
  ownerId: string;
  name: string;
  team: string | null;
  /** Counted activities in the last 30 days. */
  activities30d: number;
  teamMedianActivities30d: number;
  effortGap: boolean;
  /** Weakest stage where conversion is well below the team's, with enough samples. */
  skillGap: {
    pipeline: string;
    stageId: string;
    label: string;
    repRate: number;
    teamRate: number;
    repSamples: number;
    teamSamples: number;
    gapPercent: number;
  } | null;
  signal: 'effort_gap' | 'skill_gap' | 'effort_and_skill_gap' | 'balanced';
  message: string;
  stageRates: StageRate[];
  /** The same stages' rates over the rep's team (everyone when the rep has none): the benchmark the skill gap is measured against. */
  teamStageRates: StageRate[];
}

export interface ActivityGoal {
  ownerId: string;
  name: string;
  /** Revenue to win per week (reporting currency). */
  weeklyTarget: number;
  targetBasis: string;
  goals: { newOpportunities: number; meetings: number; proposals: number; wins: number };
  assumptions: { name: string; value: number; samples: number; source: 'rep' | 'team' | 'config' }[];
  /** The funnel arithmetic behind the goals, step by step (goals are these rounded up). */
  arithmetic: string[];
  currency: string;
}

export interface WorkloadRow {
  ownerId: string;
  name: string;
  openDeals: number;
  openPipeline: number;
  dealsRatio: number | null;
  pipelineRatio: number | null;
  flag: 'overloaded' | 'starved' | null;
}

export interface LeadSourceRow {
  leadSource: string;
  /** The source as a person reads it. */
  label: string;
  created: number;
  won: number;
  lost: number;
  winRate: number | null;
  /** Share of created deals that reached a qualified stage. */
  qualifiedRate: number | null;
  avgWonSize: MoneyTotal;
}

export interface KeyAccount {
  accountId: string;
  accountName: string | null;
  openPipeline: MoneyTotal;
  /** Why it is listed: named in the connection, flagged a target account in the CRM, or among the top by open pipeline. */
  source: 'configured' | 'crm_target' | 'top_share';
  deals: { dealId: string; name: string; ownerId: string | null; score: number | null; band: ScoreBand | null; findings: string[] }[];
}

export interface Coaching {
  currency: string;
  reps: RepCoaching[];
  goals: ActivityGoal[];
  workload: { teamMedianOpenDeals: number; teamMedianPipeline: number; reps: WorkloadRow[] };
  leadSources: LeadSourceRow[];
  keyAccounts: KeyAccount[];
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** Per-rep (and team-wide) stage outcomes of deals created in the look-back. */
function stageOutcomes(ctx: ReportContext, deals: readonly DealDays[]): Map<string, StageRate> {
  const out = new Map<string, StageRate>();
  // only known stages are counted, so each has a StageInfo (and its key, built once)
  const get = (info: StageInfo): StageRate => {
    let r = out.get(info.key);
    if (!r)
      out.set(
        info.key,
        (r = {
          pipeline: info.stage.pipeline,
          stageId: info.stage.id,
          label: info.stage.label,
          advanced: 0,
          lostAt: 0,
          samples: 0,
          rate: null,
        }),
      );
    return r;
  };
  for (const dd of deals) {
    const d = dd.deal;
    const changes = dd.stageChanges;
    if (!changes) continue;
    let maxAfter = -1;
    let lastOpen: StageInfo | null = null;
    for (let i = changes.length - 1; i >= 0; i--) {
      const c = changes[i]!;
      const info = ctx.indexed.stageOf(d.pipeline, c.toStageId);
      if (!info) continue;
      if (!info.stage.isClosed) {
        if (lastOpen === null) lastOpen = info;
        const r = get(info);
        if (maxAfter > info.rank) r.advanced++;
      }
      if (info.rank > maxAfter && !(info.stage.isClosed && !info.stage.isWon)) maxAfter = info.rank;
    }
    if (d.isClosed && !d.isWon && lastOpen !== null) get(lastOpen).lostAt++;
  }
  for (const r of out.values()) {
    r.samples = r.advanced + r.lostAt;
    r.rate = r.samples > 0 ? r.advanced / r.samples : null;
  }
  return out;
}

/** Builds the coaching report. */
export function computeCoaching(ctx: ReportContext): Coaching {
  const { indexed } = ctx;
  const rc = indexed.cfg.reports;
  const currency = indexed.money.reportingCurrency;
  const lookbackStart = indexed.today - rc.coachingLookbackDays;
  const recent = ctx.deals.filter((dd) => dd.createdDay >= lookbackStart);
  const maxProb = maxOpenProbability(ctx, recent);
  const teamOf = new Map<string, string>();
  for (const [t, ids] of ctx.teams) for (const id of ids) teamOf.set(id, t);
  const inactive = new Set(indexed.input.owners.filter((x) => !x.active).map((x) => x.externalId));
  const reps = ctx.ownerIds.filter((o) => !inactive.has(o));

  // activity counts (30 days) and meetings (look-back) per owner
  const since30 = indexed.nowMs - 30 * 86_400_000;
  const sinceLookback = indexed.clock.startOfDay(lookbackStart);
  const acts30 = new Map<string, number>();
  const meetings = new Map<string, number>();
  const acts = indexed.input.activities;
  for (let i = 0; i < acts.length; i++) {
    const a = acts[i]!;
    if (a.ownerId === null) continue;
    const at = indexed.activityMs[i]!;
    if (!countsAsActivity(a.type, a.completed, a.origin, a.isDeleted, at, indexed.nowMs)) continue;
    if (at >= since30) acts30.set(a.ownerId, (acts30.get(a.ownerId) ?? 0) + 1);
    if (a.type === 'meeting' && at >= sinceLookback) meetings.set(a.ownerId, (meetings.get(a.ownerId) ?? 0) + 1);
  }

  // group reps by team; a rep with no team is compared to everyone
  const peersOf = (o: string): string[] => {
    const t = teamOf.get(o);
    return t === undefined ? reps : reps.filter((r) => teamOf.get(r) === t);
  };
  const dealsByOwner = new Map<string, DealDays[]>();
  for (const dd of recent) {
    if (dd.deal.ownerId === null) continue;
    const l = dealsByOwner.get(dd.deal.ownerId);
    if (l) l.push(dd);
    else dealsByOwner.set(dd.deal.ownerId, [dd]);
  }
  const teamRatesCache = new Map<string, Map<string, StageRate>>();
  const teamRates = (o: string): Map<string, StageRate> => {
    const key = teamOf.get(o) ?? '\u0000all';
    let r = teamRatesCache.get(key);
    if (!r) {
      const peers = new Set(peersOf(o));
      teamRatesCache.set(
        key,
        (r = stageOutcomes(
          ctx,
          recent.filter((dd) => dd.deal.ownerId !== null && peers.has(dd.deal.ownerId)),
        )),
      );
    }
    return r;
  };

  const repCoaching: RepCoaching[] = reps.map((o) => {
    const n = acts30.get(o) ?? 0;
    const teamMedian = median(peersOf(o).map((p) => acts30.get(p) ?? 0)) ?? 0;
    const effortGap = teamMedian > 0 && n < teamMedian * (1 - rc.effortGapPercent / 100);
    const mine = stageOutcomes(ctx, dealsByOwner.get(o) ?? []);
    const team = teamRates(o);
    let skillGap: RepCoaching['skillGap'] = null;
    for (const r of mine.values()) {
      const t = team.get(stageKey(r.pipeline, r.stageId));
      if (!t || t.rate === null || r.rate === null || r.samples < rc.skillGapMinSamples || t.rate === 0) continue;
      const gap = (1 - r.rate / t.rate) * 100;
      if (gap >= rc.skillGapPercent && (!skillGap || gap > skillGap.gapPercent)) {
        skillGap = {
          pipeline: r.pipeline,
          stageId: r.stageId,
          label: r.label,
          repRate: r.rate,
          teamRate: t.rate,
          repSamples: r.samples,
          teamSamples: t.samples,
          gapPercent: Math.round(gap),
        };
      }
    }
    const stageRates = [...mine.values()].sort(
      (a, b) =>
        a.pipeline.localeCompare(b.pipeline) ||
        (indexed.stageByKey.get(stageKey(a.pipeline, a.stageId))?.rank ?? 0) -
          (indexed.stageByKey.get(stageKey(b.pipeline, b.stageId))?.rank ?? 0),
    );
    const signal: RepCoaching['signal'] =
      effortGap && skillGap ? 'effort_and_skill_gap' : effortGap ? 'effort_gap' : skillGap ? 'skill_gap' : 'balanced';
    const parts: string[] = [];
    if (effortGap) {
      const below = `${Math.round((1 - n / teamMedian) * 100)}% below; threshold ${rc.effortGapPercent}%`;
      parts.push(`Effort gap: ${n} activities in 30 days vs team median ${teamMedian} (${below}): talk about priorities and motivation.`);
    }
    if (skillGap) {
      const rates = `${pct(skillGap.repRate)} advance vs team ${pct(skillGap.teamRate)}`;
      const samples = `${skillGap.repSamples} vs ${skillGap.teamSamples} deals`;
      const below = `${skillGap.gapPercent}% below, threshold ${rc.skillGapPercent}%`;
      parts.push(`Skill gap at ${skillGap.label}: ${rates} (${samples}; ${below}): coach this stage.`);
    }
    if (parts.length === 0)
      parts.push(`Balanced: ${n} activities in 30 days (team median ${teamMedian}) and no stage well below the team.`);
    return {
      ownerId: o,
      name: ctx.ownerName(o),
      team: teamOf.get(o) ?? null,
      activities30d: n,
      teamMedianActivities30d: teamMedian,
      effortGap,
      skillGap,
      signal,
      message: parts.join(' '),
      stageRates,
      teamStageRates: stageRates.map(
        (r) => team.get(stageKey(r.pipeline, r.stageId)) ?? { ...r, advanced: 0, lostAt: 0, samples: 0, rate: null },
      ),
    };
  });

  return {
    currency,
    reps: repCoaching,
    goals: activityGoals(ctx, reps, recent, dealsByOwner, meetings, maxProb),
    workload: workload(ctx, reps),
    leadSources: leadSources(ctx, recent, maxProb),
    keyAccounts: keyAccounts(ctx),
  };
}

/** Highest open-stage probability each deal reached (its history, or its current stage), computed once. */
function maxOpenProbability(ctx: ReportContext, deals: readonly DealDays[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const dd of deals) {
    const d = dd.deal;
    let max = d.isClosed ? 0 : dd.probability;
    const changes = dd.stageChanges;
    if (changes) {
      for (const c of changes) {
        const info = ctx.indexed.stageOf(d.pipeline, c.toStageId);
        if (info && !info.stage.isClosed && info.stage.probability > max) max = info.stage.probability;
      }
    }
    out.set(d.externalId, max);
  }
  return out;
}

/** Funnel rates of a set of deals created in the look-back. */
function funnelRates(ctx: ReportContext, deals: readonly DealDays[], maxProb: Map<string, number>) {
  const rc = ctx.indexed.cfg.reports;
  let won = 0,
    lost = 0,
    proposalsClosed = 0,
    proposalsWon = 0;
  const wonSum = new MoneySum(ctx.indexed.money);
  for (const dd of deals) {
    const d = dd.deal;
    if (!d.isClosed) continue;
    if (d.isWon) {
      won++;
      wonSum.add(d.amount ?? 0, d.currency);
    } else lost++;
    if (d.isWon || (maxProb.get(d.externalId) ?? 0) >= rc.proposalFromProbability) {
      proposalsClosed++;
      if (d.isWon) proposalsWon++;
    }
  }
  return {
    closed: won + lost,
    winRate: won + lost > 0 ? won / (won + lost) : null,
    proposalsClosed,
    proposalWinRate: proposalsClosed > 0 ? proposalsWon / proposalsClosed : null,
    won,
    avgDealSize: won > 0 ? amountIn(wonSum.total(), ctx.indexed.money.reportingCurrency) / won : null,
    created: deals.length,
  };
}

/**
 * Reverse funnel for next week: weekly target -> wins = target / avg deal size;
 * proposals = wins / proposal win rate; new opportunities = wins / win rate;
 * meetings = new opportunities x meetings per new opportunity. Rep rates with at least
 * `skillGapMinSamples` closed deals, else the team's. Rounded up.
 */
function activityGoals(
  ctx: ReportContext,
  reps: string[],
  recent: DealDays[],
  dealsByOwner: Map<string, DealDays[]>,
  meetings: Map<string, number>,
  maxProb: Map<string, number>,
): ActivityGoal[] {
  const { indexed } = ctx;
  const rc = indexed.cfg.reports;
  const currency = indexed.money.reportingCurrency;
  const q = fiscalQuarterOf(indexed.today, indexed.settings.fiscalYearStartMonth);
  const weeksLeft = Math.max(1, Math.ceil((q.endDay - indexed.today) / 7));
  const team = funnelRates(ctx, recent, maxProb);
  const teamMeetings = [...meetings.values()].reduce((s, x) => s + x, 0);
  const teamMeetingsPerOpp = team.created > 0 ? teamMeetings / team.created : 0;
  // team average weekly won revenue per rep over the look-back
  const wonLookback = new MoneySum(indexed.money);
  for (const dd of ctx.deals)
    if (dd.deal.isClosed && dd.deal.isWon && dd.closeDay > indexed.today - rc.coachingLookbackDays && dd.closeDay <= indexed.today)
      wonLookback.add(dd.deal.amount ?? 0, dd.deal.currency);
  const teamWeeklyPerRep = reps.length > 0 ? amountIn(wonLookback.total(), currency) / (rc.coachingLookbackDays / 7) / reps.length : 0;

  const wonThisQuarter = new Map<string, number>();
  for (const dd of ctx.deals) {
    const d = dd.deal;
    if (d.ownerId === null || !d.isWon || !(dd.closeDay >= q.startDay && dd.closeDay <= indexed.today)) continue;
    wonThisQuarter.set(d.ownerId, (wonThisQuarter.get(d.ownerId) ?? 0) + toReporting(d.amount ?? 0, d.currency, indexed.money).amount);
  }
  return reps.map((o) => {
    const mine = funnelRates(ctx, dealsByOwner.get(o) ?? [], maxProb);
    const enough = mine.closed >= rc.skillGapMinSamples;
    const assumptions: ActivityGoal['assumptions'] = [];
    const pick = (
      name: string,
      repValue: number | null,
      teamValue: number | null,
      repSamples: number,
      teamSamples: number,
      useRep: boolean,
    ): number => {
      if (useRep && repValue !== null && repValue > 0) {
        assumptions.push({ name, value: round3(repValue), samples: repSamples, source: 'rep' });
        return repValue;
      }
      const v = teamValue ?? 0;
      assumptions.push({ name, value: round3(v), samples: teamSamples, source: 'team' });
      return v;
    };
    let weeklyTarget: number;
    let targetBasis: string;
    const quota = quotaOf(indexed.settings.quotas?.[o], q.label);
    if (quota !== undefined) {
      const won = wonThisQuarter.get(o) ?? 0;
      const remaining = Math.max(0, quota - won);
      weeklyTarget = remaining / weeksLeft;
      targetBasis =
        `remaining quota ${Math.round(remaining)} ${currency} (quota ${quota} - won ${Math.round(won)}) ` +
        `over ${weeksLeft} weeks left in ${q.label}`;
    } else {
      weeklyTarget = teamWeeklyPerRep;
      targetBasis = `team average won per rep per week over the last ${rc.coachingLookbackDays} days`;
    }
    const avg = pick('avgDealSize', mine.avgDealSize, team.avgDealSize, mine.won, team.won, mine.won >= rc.skillGapMinSamples);
    const winRate = pick('winRate', mine.winRate, team.winRate, mine.closed, team.closed, enough);
    const propRate = pick(
      'proposalWinRate',
      mine.proposalWinRate,
      team.proposalWinRate,
      mine.proposalsClosed,
      team.proposalsClosed,
      mine.proposalsClosed >= rc.skillGapMinSamples,
    );
    const myMeetings = meetings.get(o) ?? 0;
    const mpo = pick(
      'meetingsPerNewOpportunity',
      mine.created > 0 ? myMeetings / mine.created : null,
      teamMeetingsPerOpp,
      mine.created,
      team.created,
      mine.created >= rc.skillGapMinSamples,
    );
    const wins = avg > 0 ? weeklyTarget / avg : 0;
    const goals = {
      wins: Math.ceil(round3(wins)),
      proposals: propRate > 0 ? Math.ceil(round3(wins / propRate)) : 0,
      newOpportunities: winRate > 0 ? Math.ceil(round3(wins / winRate)) : 0,
      meetings: winRate > 0 ? Math.ceil(round3((wins / winRate) * mpo)) : 0,
    };
    const n1 = (x: number): string => (Math.round(x * 10) / 10).toLocaleString('en-US');
    const arithmetic = [
      `${groupThousands(Math.round(weeklyTarget))} ${currency} a week / ` +
        `average won deal ${groupThousands(Math.round(avg))} = ${n1(wins)} wins`,
      winRate > 0
        ? `${n1(wins)} wins / win rate ${round3(winRate)} = ${n1(wins / winRate)} new opportunities`
        : 'no win rate: no opportunity goal',
      winRate > 0 ? `${n1(wins / winRate)} opportunities x ${n1(mpo)} meetings each = ${n1((wins / winRate) * mpo)} meetings` : '',
      propRate > 0 ? `${n1(wins)} wins / proposal win rate ${round3(propRate)} = ${n1(wins / propRate)} proposals` : '',
    ].filter((x) => x !== '');
    return {
      ownerId: o,
      name: ctx.ownerName(o),
      weeklyTarget: Math.round(weeklyTarget * 100) / 100,
      targetBasis,
      goals,
      assumptions,
      arithmetic,
      currency,
    };
  });
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Open deals and pipeline per rep against the median rep. */
function workload(ctx: ReportContext, reps: string[]): Coaching['workload'] {
  const rc = ctx.indexed.cfg.reports;
  const currency = ctx.indexed.money.reportingCurrency;
  const rows = new Map<string, { n: number; sum: MoneySum }>();
  for (const o of reps) rows.set(o, { n: 0, sum: new MoneySum(ctx.indexed.money) });
  for (const dd of ctx.deals) {
    if (dd.deal.isClosed || dd.deal.ownerId === null) continue;
    const r = rows.get(dd.deal.ownerId);
    if (!r) continue;
    r.n++;
    r.sum.add(dd.deal.amount ?? 0, dd.deal.currency);
  }
  const medDeals = median([...rows.values()].map((r) => r.n)) ?? 0;
  const medPipe = median([...rows.values()].map((r) => amountIn(r.sum.total(), currency))) ?? 0;
  return {
    teamMedianOpenDeals: medDeals,
    teamMedianPipeline: medPipe,
    reps: reps.map((o) => {
      const r = rows.get(o)!;
      const pipe = amountIn(r.sum.total(), currency);
      const dealsRatio = medDeals > 0 ? r.n / medDeals : null;
      const pipelineRatio = medPipe > 0 ? pipe / medPipe : null;
      const hi = Math.max(dealsRatio ?? 0, pipelineRatio ?? 0);
      const lo = Math.min(dealsRatio ?? Infinity, pipelineRatio ?? Infinity);
      const flag = hi > rc.overloadedFactor ? 'overloaded' : lo < rc.starvedFactor ? 'starved' : null;
      return {
        ownerId: o,
        name: ctx.ownerName(o),
        openDeals: r.n,
        openPipeline: pipe,
        dealsRatio: ratio(dealsRatio),
        pipelineRatio: ratio(pipelineRatio),
        flag,
      };
    }),
  };
}

const ratio = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);

/** Probability of a pipeline's first open stage (where deals start). */
function entryProbability(ctx: ReportContext, pipeline: string): number {
  const first = ctx.indexed.stagesByPipeline.get(pipeline)?.find((st) => !st.isClosed);
  return first?.probability ?? 0;
}

/** HubSpot's original-source values as its UI names them. */
const SOURCE_LABELS: Record<string, string> = {
  ORGANIC_SEARCH: 'Organic search',
  PAID_SEARCH: 'Paid search',
  EMAIL_MARKETING: 'Email marketing',
  SOCIAL_MEDIA: 'Organic social',
  PAID_SOCIAL: 'Paid social',
  REFERRALS: 'Referrals',
  OTHER_CAMPAIGNS: 'Other campaigns',
  DIRECT_TRAFFIC: 'Direct traffic',
  OFFLINE: 'Offline sources',
  AI_REFERRALS: 'AI referrals',
};

/** A lead source as a person reads it: `PAID_SEARCH` -> `Paid search`; readable values unchanged. */
export function leadSourceLabel(raw: string): string {
  const known = SOURCE_LABELS[raw];
  if (known) return known;
  if (!/^[A-Z0-9_]+$/.test(raw) && !/^[a-z0-9_]+$/.test(raw)) return raw;
  const words = raw
    .toLowerCase()
    .split('_')
    .filter((w) => w !== '');
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Win rate, qualification and deal size by lead source, over deals created in the look-back. */
function leadSources(ctx: ReportContext, recent: DealDays[], maxProb: Map<string, number>): LeadSourceRow[] {
  const rc = ctx.indexed.cfg.reports;
  const by = new Map<
    string,
    { created: number; won: number; lost: number; qualified: number; sum: Map<string, { s: number; n: number }> }
  >();
  for (const dd of recent) {
    const d = dd.deal;
    const key = d.leadSource ?? '(none)';
    let r = by.get(key);
    if (!r) by.set(key, (r = { created: 0, won: 0, lost: 0, qualified: 0, sum: new Map() }));
    r.created++;
    if (d.isClosed && d.isWon) {
      r.won++;
      const m = toReporting(d.amount ?? 0, d.currency, ctx.indexed.money);
      const t = r.sum.get(m.currency) ?? { s: 0, n: 0 };
      t.s += m.amount;
      t.n++;
      r.sum.set(m.currency, t);
    } else if (d.isClosed) r.lost++;
    // qualified = moved past the stage every deal starts in (a pipeline whose entry stage already
    // carries the threshold probability would otherwise count every deal as qualified)
    const top = maxProb.get(d.externalId) ?? 0;
    const reached = (d.isClosed && d.isWon) || (top >= rc.qualifiedFromProbability && top > entryProbability(ctx, d.pipeline));
    if (reached) r.qualified++;
  }
  return [...by.entries()]
    .map(([leadSource, r]) => ({
      leadSource,
      label: leadSourceLabel(leadSource),
      created: r.created,
      won: r.won,
      lost: r.lost,
      winRate: r.won + r.lost > 0 ? r.won / (r.won + r.lost) : null,
      qualifiedRate: r.created > 0 ? r.qualified / r.created : null,
      avgWonSize: [...r.sum.entries()].map(([currency, t]) => ({ currency, amount: Math.round((t.s / t.n) * 100) / 100 })),
    }))
    .sort((a, b) => b.created - a.created || a.leadSource.localeCompare(b.leadSource));
}

/**
 * Key accounts: those the connection names, then those the CRM flags as target accounts (with a
 * deal in the book, open or closed); when neither gives any, the top `keyAccountShare` of accounts
 * by open pipeline (at least one).
 */
function keyAccounts(ctx: ReportContext): KeyAccount[] {
  const { indexed, evaluation } = ctx;
  const currency = indexed.money.reportingCurrency;
  const byAccount = new Map<string, { name: string | null; deals: DealDays[]; sum: MoneySum }>();
  const flagged = new Map<string, string | null>();
  for (const dd of ctx.deals) {
    const d = dd.deal;
    if (d.accountId === null) continue;
    if (d.accountIsTarget === true && !flagged.has(d.accountId)) flagged.set(d.accountId, d.accountName);
    if (d.isClosed) continue;
    let a = byAccount.get(d.accountId);
    if (!a) byAccount.set(d.accountId, (a = { name: d.accountName, deals: [], sum: new MoneySum(indexed.money) }));
    a.deals.push(dd);
    a.sum.add(d.amount ?? 0, d.currency);
  }
  const listed = new Map<string, KeyAccount['source']>();
  for (const id of indexed.settings.keyAccounts ?? []) listed.set(id, 'configured');
  const byPipeline = (a: string, b: string): number =>
    amountIn(byAccount.get(b)?.sum.total() ?? [], currency) - amountIn(byAccount.get(a)?.sum.total() ?? [], currency) || a.localeCompare(b);
  for (const id of [...flagged.keys()].sort(byPipeline)) if (!listed.has(id)) listed.set(id, 'crm_target');
  if (listed.size === 0) {
    const sorted = [...byAccount.keys()].sort(byPipeline);
    for (const id of sorted.slice(0, Math.max(sorted.length > 0 ? 1 : 0, Math.ceil(sorted.length * indexed.cfg.reports.keyAccountShare))))
      listed.set(id, 'top_share');
  }
  return [...listed].map(([id, source]) => {
    const a = byAccount.get(id);
    return {
      accountId: id,
      accountName: a?.name ?? flagged.get(id) ?? null,
      openPipeline: a ? a.sum.total() : [{ currency, amount: 0 }],
      source,
      deals: (a?.deals ?? []).map((dd) => {
        const s = evaluation.scoreByDeal.get(dd.deal.externalId);
        return {
          dealId: dd.deal.externalId,
          name: dd.deal.name,
          ownerId: dd.deal.ownerId,
          score: s?.score ?? null,
          band: s?.band ?? null,
          findings: (evaluation.findingsByDeal.get(dd.deal.externalId) ?? []).map((f) => f.ruleId),
        };
      }),
    };
  });
}
