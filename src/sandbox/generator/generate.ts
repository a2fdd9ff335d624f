/**
 * Builds a deterministic book of business from a seed, a size and "now": reps with habits,
 * accounts (a few key ones), two years of closed deals with stage histories, and open deals that
 * are either healthy under the engine's default thresholds or built to exhibit named problems.
 * Every open deal's planted problems are recorded in `book.planted`.
 */
import { createPrng, deriveSeed, type Prng } from '../prng.js';
import type { Activity, ActivityKind, Book, Deal, PipelineDef, PlantedProblem, Rep, RepHabit, SandboxProvider } from './book.js';
import {
  ACTIVITY_SUBJECTS,
  COMPANY_SUFFIXES,
  COMPANY_WORDS,
  DEAL_PRODUCTS,
  FIRST_NAMES,
  INDUSTRIES,
  LAST_NAMES,
  LEAD_SOURCES,
  LOST_REASONS,
  NEXT_STEPS,
  discountLimitFor,
  pipelinesFor,
} from './catalog.js';
import { hubspotId, salesforceId } from './ids.js';

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface GenerateOptions {
  provider: SandboxProvider;
  seed: number;
  /** Number of deals (open + closed). */
  deals: number;
  now: Date;
  /** Share of deals that are open; the rest are closed over the last two years. @defaultValue 0.3 */
  openShare?: number;
}

const HABITS_IN_ORDER: RepHabit[] = ['diligent', 'never_logs', 'loses_at_stage', 'heavy_discounter', 'slipper'];

/** Problems planted on ordinary reps' deals, cycled so that every kind appears even in small books. */
const GENERAL_PROBLEMS: PlantedProblem[][] = [
  ['stuck_in_stage'],
  ['close_date_passed'],
  ['missing_amount'],
  ['missing_close_date'],
  ['missing_next_step'],
  ['no_next_activity'],
  ['single_threaded'],
  ['amount_decreased'],
  ['stage_regressed'],
  ['stage_skipped'],
  ['activity_not_logged'],
  ['stale_deal', 'stuck_in_stage'],
  ['close_date_pushed'],
  ['discount_over_limit'],
];

interface BuildContext {
  rng: Prng;
  /**
   * Draws the warning signs of closed deals (see {@link closedDealSigns}). A stream of its own, so
   * the main stream (and every planted problem of the open deals) is the same as without them.
   */
  signs: Prng;
  book: Book;
  now: number;
  today: number;
  provider: SandboxProvider;
  dealActivities: number;
}

export function generateBook(options: GenerateOptions): Book {
  const { provider, deals: dealCount } = options;
  const rng = createPrng(deriveSeed(options.seed, provider));
  const now = options.now.getTime();
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const book: Book = {
    provider,
    seed: options.seed,
    generatedAt: now,
    pipelines: pipelinesFor(provider),
    reps: [],
    accounts: [],
    deals: [],
    activities: [],
    stageHistory: [],
    fieldHistory: [],
    leadSources: LEAD_SOURCES[provider],
    planted: { deals: {}, reps: {}, healthy: [] },
  };
  const ctx: BuildContext = {
    rng,
    signs: createPrng(deriveSeed(options.seed, `${provider}/signs`)),
    book,
    now,
    today,
    provider,
    dealActivities: 0,
  };

  buildReps(ctx, Math.min(12, 6 + Math.floor(dealCount / 250)));
  buildAccounts(ctx, Math.max(12, Math.ceil(dealCount / 8)));

  const openCount = Math.round(dealCount * (options.openShare ?? 0.3));
  const closedCount = dealCount - openCount;
  for (let i = 0; i < closedCount; i++) buildClosedDeal(ctx);
  const problemCursor = { i: 0 };
  for (let i = 0; i < openCount; i++) {
    const owner = i % book.reps.length;
    const problems = chooseProblems(ctx, owner, problemCursor);
    buildOpenDeal(ctx, owner, problems);
  }
  return book;
}

function buildReps(ctx: BuildContext, count: number): void {
  const { rng, book, provider, now } = ctx;
  for (let i = 0; i < count; i++) {
    const habit = HABITS_IN_ORDER[i] ?? 'steady';
    const firstName = FIRST_NAMES[i % FIRST_NAMES.length] as string;
    const lastName = LAST_NAMES[(i * 7) % LAST_NAMES.length] as string;
    const pipeline = book.pipelines[0] as PipelineDef;
    const openStages = pipeline.stages.filter((s) => !s.isClosed);
    const rep: Rep = {
      id: provider === 'hubspot' ? hubspotId('owner', i + 1) : salesforceId('User', i + 1),
      firstName,
      lastName,
      email: `${firstName}.${lastName}@example.com`.toLowerCase(),
      team: i % 2 === 0 ? 'East' : 'West',
      habit,
      weakStageId: habit === 'loses_at_stage' ? (openStages[Math.min(2, openStages.length - 1)]?.id ?? null) : null,
      createdAt: now - rng.int(800, 1500) * DAY_MS,
    };
    book.reps.push(rep);
    book.planted.reps[rep.id] = habit;
  }
}

function buildAccounts(ctx: BuildContext, count: number): void {
  const { rng, book, provider } = ctx;
  for (let i = 0; i < count; i++) {
    const word = COMPANY_WORDS[i % COMPANY_WORDS.length] as string;
    const suffix = COMPANY_SUFFIXES[Math.floor(i / COMPANY_WORDS.length) % COMPANY_SUFFIXES.length] as string;
    const round = Math.floor(i / (COMPANY_WORDS.length * COMPANY_SUFFIXES.length));
    book.accounts.push({
      id: provider === 'hubspot' ? hubspotId('company', i + 1) : salesforceId('Account', i + 1),
      name: round > 0 ? `${word} ${suffix} ${round + 1}` : `${word} ${suffix}`,
      isKey: i < 3,
      industry: rng.pick(INDUSTRIES),
    });
  }
}

function pickAccount(ctx: BuildContext): number {
  // Key accounts (the first three) carry a quarter of all deals.
  const { rng, book } = ctx;
  if (rng.chance(0.25)) return rng.int(0, Math.min(2, book.accounts.length - 1));
  return rng.int(0, book.accounts.length - 1);
}

function pickPipeline(ctx: BuildContext): number {
  return ctx.book.pipelines.length > 1 && ctx.rng.chance(0.15) ? 1 : 0;
}

function baseAmount(ctx: BuildContext, account: number): number {
  const { rng, book } = ctx;
  const key = book.accounts[account]?.isKey ?? false;
  const raw = Math.exp(rng.real(Math.log(3_000), Math.log(80_000))) * (key ? 3 : 1);
  return Math.round(raw / 100) * 100;
}

function healthyDiscount(ctx: BuildContext): number | null {
  return ctx.rng.chance(0.4) ? null : ctx.rng.int(0, 8);
}

function newDeal(ctx: BuildContext, owner: number, createdAt: number): Deal {
  const { rng, book, provider } = ctx;
  const n = book.deals.length + 1;
  const account = pickAccount(ctx);
  const accountName = book.accounts[account]?.name ?? 'Account';
  const deal: Deal = {
    id: provider === 'hubspot' ? hubspotId('deal', n) : salesforceId('Opportunity', n),
    name: `${accountName} - ${rng.pick(DEAL_PRODUCTS)}`,
    pipeline: pickPipeline(ctx),
    stage: 0,
    owner,
    account,
    leadSource: rng.pick(book.leadSources).name,
    amount: baseAmount(ctx, account),
    closeDate: null,
    createdAt,
    modifiedAt: createdAt,
    stageEnteredAt: createdAt,
    nextStep: rng.pick(NEXT_STEPS),
    discount: healthyDiscount(ctx),
    contactIds: [],
    pushCount: 0,
    lostReason: null,
    deleted: false,
    deletedAt: null,
    custom: undefined,
  };
  const contacts = rng.int(2, 5);
  for (let c = 0; c < contacts; c++) deal.contactIds.push(contactId(ctx, n, c));
  return deal;
}

function contactId(ctx: BuildContext, dealNumber: number, c: number): string {
  const n = dealNumber * 8 + c;
  return ctx.provider === 'hubspot' ? hubspotId('contact', n) : salesforceId('Contact', n);
}

/** Appends the deal with its creation history row (Salesforce writes one on insert). */
function pushDeal(ctx: BuildContext, deal: Deal): number {
  const idx = ctx.book.deals.length;
  ctx.book.deals.push(deal);
  recordStage(ctx, idx, deal.stage, deal.createdAt, null);
  return idx;
}

/** Writes the history rows of a stage entry; `fromStage` null means creation. */
function recordStage(ctx: BuildContext, dealIdx: number, stage: number, at: number, fromStage: number | null): void {
  const { book } = ctx;
  const deal = book.deals[dealIdx] as Deal;
  const stages = (book.pipelines[deal.pipeline] as PipelineDef).stages;
  deal.stage = stage;
  deal.stageEnteredAt = at;
  deal.modifiedAt = Math.max(deal.modifiedAt, at);
  book.stageHistory.push({
    id: historyId(ctx, 'OpportunityHistory', book.stageHistory.length),
    deal: dealIdx,
    stage,
    amount: deal.amount,
    closeDate: deal.closeDate,
    at,
  });
  if (fromStage !== null) {
    book.fieldHistory.push({
      id: historyId(ctx, 'OpportunityFieldHistory', book.fieldHistory.length),
      deal: dealIdx,
      field: 'StageName',
      oldValue: stages[fromStage]?.label ?? null,
      newValue: stages[stage]?.label ?? null,
      at,
    });
  }
}

function recordAmount(ctx: BuildContext, dealIdx: number, amount: number | null, at: number): void {
  const deal = ctx.book.deals[dealIdx] as Deal;
  const old = deal.amount;
  deal.amount = amount;
  deal.modifiedAt = Math.max(deal.modifiedAt, at);
  ctx.book.stageHistory.push({
    id: historyId(ctx, 'OpportunityHistory', ctx.book.stageHistory.length),
    deal: dealIdx,
    stage: deal.stage,
    amount,
    closeDate: deal.closeDate,
    at,
  });
  ctx.book.fieldHistory.push({
    id: historyId(ctx, 'OpportunityFieldHistory', ctx.book.fieldHistory.length),
    deal: dealIdx,
    field: 'Amount',
    oldValue: old,
    newValue: amount,
    at,
  });
}

function recordCloseDate(ctx: BuildContext, dealIdx: number, closeDate: number | null, at: number): void {
  const deal = ctx.book.deals[dealIdx] as Deal;
  const old = deal.closeDate;
  deal.closeDate = closeDate;
  if (old !== null && closeDate !== null && closeDate > old) deal.pushCount += 1;
  deal.modifiedAt = Math.max(deal.modifiedAt, at);
  ctx.book.stageHistory.push({
    id: historyId(ctx, 'OpportunityHistory', ctx.book.stageHistory.length),
    deal: dealIdx,
    stage: deal.stage,
    amount: deal.amount,
    closeDate,
    at,
  });
  ctx.book.fieldHistory.push({
    id: historyId(ctx, 'OpportunityFieldHistory', ctx.book.fieldHistory.length),
    deal: dealIdx,
    field: 'CloseDate',
    oldValue: old === null ? null : isoDay(old),
    newValue: closeDate === null ? null : isoDay(closeDate),
    at,
  });
}

function historyId(ctx: BuildContext, object: 'OpportunityHistory' | 'OpportunityFieldHistory', n: number): string {
  return ctx.provider === 'hubspot' ? String(n + 1) : salesforceId(object, n + 1);
}

export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function addActivity(
  ctx: BuildContext,
  dealIdx: number,
  kind: ActivityKind,
  at: number,
  options: { direction?: 'inbound' | 'outbound'; completed?: boolean } = {},
): void {
  const { rng, book, provider } = ctx;
  const deal = book.deals[dealIdx] as Deal;
  const n = book.activities.length + 1;
  // Whole milliseconds, as every API renders them.
  at = Math.round(at);
  const direction = kind === 'call' || kind === 'email' ? (options.direction ?? (rng.chance(0.4) ? 'inbound' : 'outbound')) : null;
  const activity: Activity = {
    id: provider === 'hubspot' ? hubspotId('activity', n) : salesforceId(kind === 'meeting' ? 'Event' : 'Task', n),
    deal: dealIdx,
    kind,
    at,
    direction,
    completed: options.completed ?? at <= ctx.now,
    owner: deal.owner,
    subject: rng.pick(ACTIVITY_SUBJECTS[kind] ?? ['Activity']),
    body: null,
    createdAt: Math.min(at, ctx.now) - rng.int(0, 3) * HOUR_MS,
    modifiedAt: Math.min(at, ctx.now),
    deleted: false,
    viaApi: false,
  };
  book.activities.push(activity);
}

/** A past activity of a random kind; tasks in the past are completed. */
function addPastActivity(ctx: BuildContext, dealIdx: number, at: number): void {
  const kinds: ActivityKind[] = ['email', 'call', 'meeting', 'note', 'task'];
  const kind = kinds[ctx.rng.weighted([35, 25, 12, 13, 15])] as ActivityKind;
  addActivity(ctx, dealIdx, kind, Math.min(at, ctx.now - HOUR_MS), { completed: true });
}

/** Activities spread over a stage, with one in the 6 days before the advance out of it. */
function logStage(ctx: BuildContext, dealIdx: number, from: number, to: number, count: number, quietBeforeExitMs = 0): void {
  if (count <= 0) return;
  const end = to - quietBeforeExitMs;
  if (end <= from) return;
  const lastWindowStart = Math.max(from, end - 6 * DAY_MS);
  addPastActivity(ctx, dealIdx, ctx.rng.real(lastWindowStart, end - HOUR_MS));
  for (let i = 1; i < count; i++) addPastActivity(ctx, dealIdx, ctx.rng.real(from, end - HOUR_MS));
}

function activitiesPerStage(ctx: BuildContext, habit: RepHabit, openStages: number): number {
  // About ten activities over a deal's life whatever the number of stages.
  const perStage = Math.max(1, Math.round(12 / openStages));
  if (habit === 'never_logs') return ctx.rng.chance(0.15) ? 1 : 0;
  if (habit === 'diligent') return ctx.rng.int(perStage + 1, perStage + 3);
  return ctx.rng.int(Math.max(1, perStage - 1), perStage + 1);
}

/** Warning signs drawn for one closed deal. */
interface ClosedDealSigns {
  /** Days with nothing logged at the end of stage `silentStage` (0: none). */
  silentDays: number;
  silentStage: number;
  /** Close-date pushes made during stage `pushStage`. */
  pushes: number;
  pushStage: number;
  /** A discount above the approval limit. */
  deepDiscount: boolean;
}

/**
 * The warning signs of a closed deal, drawn knowing its outcome, so that history teaches what
 * such signs mean (the odds a forecaster reads back are in src/sandbox/README.md):
 * - a silent stretch of 25-50 days: lost deals 40 %, won deals 12 %;
 * - close-date pushes: lost deals 0/1/2 pushes with 45/30/25 %, won deals 80/15/5 %;
 * - a discount above the limit (reps other than the heavy discounter): won deals 10 %, lost 4 %
 *   (a deep discount buys the deal).
 * Noisy on purpose: every sign also shows on deals that end the other way.
 */
function closedDealSigns(ctx: BuildContext, won: boolean, lastOpen: number): ClosedDealSigns {
  const r = ctx.signs;
  const silent = r.chance(won ? 0.12 : 0.4);
  const silentDays = silent ? r.int(25, 50) : 0;
  const silentStage = r.int(0, lastOpen);
  const roll = r.real(0, 1);
  const pushes = won ? (roll < 0.8 ? 0 : roll < 0.95 ? 1 : 2) : roll < 0.45 ? 0 : roll < 0.75 ? 1 : 2;
  const pushStage = r.int(0, lastOpen);
  const deepDiscount = r.chance(won ? 0.1 : 0.04);
  return { silentDays, silentStage, pushes, pushStage, deepDiscount };
}

function buildClosedDeal(ctx: BuildContext): void {
  const { rng, book, now, today } = ctx;
  const owner = rng.int(0, book.reps.length - 1);
  const rep = book.reps[owner] as Rep;
  const deal = newDeal(ctx, owner, 0);
  const stages = (book.pipelines[deal.pipeline] as PipelineDef).stages;
  const openStages = stages.filter((s) => !s.isClosed).length;
  const wonStage = stages.findIndex((s) => s.isWon);
  const lostStage = stages.findIndex((s) => s.isClosed && !s.isWon);
  const source = book.leadSources.find((s) => s.name === deal.leadSource);
  const repFactor = rep.habit === 'diligent' ? 1.25 : rep.habit === 'never_logs' ? 0.8 : rep.habit === 'loses_at_stage' ? 0.6 : 1;
  const won = rng.chance(Math.min(0.9, (source?.winRate ?? 0.3) * repFactor * 1.1));
  const weakStage = stages.findIndex((s) => s.id === rep.weakStageId);
  let lastOpen = openStages - 1;
  if (!won) lastOpen = rep.habit === 'loses_at_stage' && weakStage >= 0 && rng.chance(0.75) ? weakStage : rng.int(0, openStages - 1);

  const durations: number[] = [];
  for (let s = 0; s <= lastOpen; s++) durations.push(rng.int(6, 20) * DAY_MS + rng.int(0, 20) * HOUR_MS);
  const signs = closedDealSigns(ctx, won, lastOpen);
  const total = durations.reduce((a, b) => a + b, 0) + signs.silentDays * DAY_MS;
  const closedAt = today - rng.int(2, 720) * DAY_MS + rng.int(9, 17) * HOUR_MS;
  deal.createdAt = closedAt - total;
  deal.modifiedAt = deal.createdAt;
  deal.stageEnteredAt = deal.createdAt;
  const expectedClose = Math.floor((deal.createdAt + rng.int(30, 90) * DAY_MS) / DAY_MS) * DAY_MS;
  deal.closeDate = expectedClose;
  if (rep.habit === 'heavy_discounter' && deal.amount !== null) deal.discount = discountLimitFor(deal.amount) + rng.int(3, 12);
  else if (signs.deepDiscount && deal.amount !== null) deal.discount = discountLimitFor(deal.amount) + ctx.signs.int(2, 8);
  const dealIdx = pushDeal(ctx, deal);

  let t = deal.createdAt;
  for (let s = 0; s <= lastOpen; s++) {
    const d = durations[s] as number;
    if (s > 0) recordStage(ctx, dealIdx, s, t, s - 1);
    logStage(ctx, dealIdx, t, t + d, activitiesPerStage(ctx, rep.habit, openStages));
    // drawn pushes fall before the slipper's (mid-stage), so the close-date history stays in time order
    if (s === signs.pushStage && deal.closeDate !== null) {
      for (let p = 0; p < signs.pushes; p++)
        recordCloseDate(ctx, dealIdx, deal.closeDate + ctx.signs.int(14, 35) * DAY_MS, t + (d * (p + 1)) / (2 * (signs.pushes + 1)));
    }
    if (rep.habit === 'slipper' && s === Math.floor(lastOpen / 2) && deal.closeDate !== null) {
      recordCloseDate(ctx, dealIdx, deal.closeDate + rng.int(20, 40) * DAY_MS, t + d / 2);
    }
    // the silent stretch: the stage goes on with nothing logged
    t += d + (s === signs.silentStage ? signs.silentDays * DAY_MS : 0);
  }
  recordCloseDate(ctx, dealIdx, Math.floor(closedAt / DAY_MS) * DAY_MS, closedAt);
  recordStage(ctx, dealIdx, won ? wonStage : lostStage, closedAt, lastOpen);
  if (!won) deal.lostReason = rng.pick(LOST_REASONS);
  deal.modifiedAt = Math.min(now, closedAt + rng.int(0, 48) * HOUR_MS);
}

function chooseProblems(ctx: BuildContext, owner: number, cursor: { i: number }): PlantedProblem[] {
  const { rng, book, provider } = ctx;
  const habit = (book.reps[owner] as Rep).habit;
  if (habit === 'diligent') return [];
  if (habit === 'never_logs') return ['stale_deal', 'stuck_in_stage'];
  if (habit === 'heavy_discounter') return rng.chance(0.7) ? ['discount_over_limit'] : [];
  if (habit === 'slipper') return rng.chance(0.7) ? ['close_date_pushed'] : [];
  if (rng.chance(0.45)) return [];
  for (;;) {
    const problems = GENERAL_PROBLEMS[cursor.i % GENERAL_PROBLEMS.length] as PlantedProblem[];
    cursor.i++;
    // Salesforce requires CloseDate on every opportunity, so it cannot be missing there.
    if (provider === 'salesforce' && problems.includes('missing_close_date')) continue;
    return problems;
  }
}

function chooseOpenStage(ctx: BuildContext, pipeline: PipelineDef, problems: PlantedProblem[]): number {
  const open = pipeline.stages.map((s, i) => ({ s, i })).filter(({ s }) => !s.isClosed);
  let candidates = open;
  const need = (p: PlantedProblem) => problems.includes(p);
  if (need('no_next_activity') || need('single_threaded')) candidates = candidates.filter(({ s }) => s.probability >= 0.4);
  else if (need('missing_next_step')) candidates = candidates.filter(({ s }) => s.probability >= 0.2);
  if (need('stage_skipped')) candidates = candidates.filter(({ i }) => i >= 2);
  if (need('activity_not_logged') || need('close_date_pushed')) candidates = candidates.filter(({ i }) => i >= 1);
  if (need('stage_regressed')) candidates = candidates.filter(({ i }) => open.some((o) => o.i === i + 1));
  const chosen = candidates.length > 0 ? ctx.rng.pick(candidates) : ctx.rng.pick(open);
  return chosen.i;
}

function buildOpenDeal(ctx: BuildContext, owner: number, problems: PlantedProblem[]): void {
  const { rng, book, now, today } = ctx;
  const has = (p: PlantedProblem) => problems.includes(p);
  const deal = newDeal(ctx, owner, 0);
  const pipeline = book.pipelines[deal.pipeline] as PipelineDef;
  const target = chooseOpenStage(ctx, pipeline, problems);

  // When the deal entered its current stage, and the last time anyone logged anything.
  const staleDays = has('stale_deal') ? rng.int(32, 45) : null;
  const daysInStage = staleDays !== null ? staleDays + 1 : has('stuck_in_stage') ? rng.int(45, 90) : rng.int(1, 6);
  const stageEnteredAt = now - daysInStage * DAY_MS - rng.int(1, 20) * HOUR_MS;

  // The path of stages that leads to the current one (a skip or a regression on the last move).
  const path: number[] = [];
  if (has('stage_skipped')) {
    const jumpFrom = target - 2;
    for (let s = 0; s <= jumpFrom; s++) path.push(s);
    path.push(target);
  } else if (has('stage_regressed')) {
    for (let s = 0; s <= target + 1; s++) path.push(s);
    path.push(target);
  } else {
    for (let s = 0; s <= target; s++) path.push(s);
  }
  const durations = path.slice(0, -1).map(() => rng.int(6, 14) * DAY_MS + rng.int(0, 20) * HOUR_MS);
  // A quiet week before the last advance needs a stage long enough to hold it.
  if (has('activity_not_logged') && durations.length > 0) durations[durations.length - 1] = rng.int(12, 16) * DAY_MS;
  // Three pushes need a deal that has been open a while: stretch its first stage to 40+ days ago.
  if (has('close_date_pushed') && durations.length > 0) {
    const open = durations.reduce((a, b) => a + b, 0) + (now - stageEnteredAt);
    if (open < 40 * DAY_MS) durations[0] = (durations[0] as number) + 40 * DAY_MS - open + rng.int(0, 20) * DAY_MS;
  }
  const createdAt = stageEnteredAt - durations.reduce((a, b) => a + b, 0);
  deal.createdAt = createdAt;
  deal.modifiedAt = createdAt;
  deal.stageEnteredAt = createdAt;
  deal.stage = path[0] as number;
  // The close date as first set (pushes and passes adjust it below).
  deal.closeDate = today + rng.int(20, 90) * DAY_MS;
  if (has('close_date_passed')) deal.closeDate = today - rng.int(5, 40) * DAY_MS;
  if (has('close_date_pushed')) deal.closeDate = Math.floor((createdAt + rng.int(10, 20) * DAY_MS) / DAY_MS) * DAY_MS;
  if (has('missing_close_date')) deal.closeDate = null;
  if (has('amount_decreased') && deal.amount !== null) deal.amount = Math.round((deal.amount * rng.real(1.6, 2.0)) / 100) * 100;
  if (has('missing_amount')) deal.amount = null;
  if (has('missing_next_step')) deal.nextStep = null;
  // Single-threaded: one contact, or (every other such deal, no draw so the book stays as seeded)
  // none at all, the most single-threaded deal there is and common in real books.
  if (has('single_threaded')) deal.contactIds = deal.contactIds.slice(0, [...deal.id].reduce((sum, c) => sum + c.charCodeAt(0), 0) % 2);
  if (has('discount_over_limit') && deal.amount !== null) deal.discount = discountLimitFor(deal.amount) + rng.int(5, 12);
  if (deal.amount === null) deal.discount = null;
  const dealIdx = pushDeal(ctx, deal);
  const habit = (book.reps[owner] as Rep).habit;

  // History is applied in time order so every OpportunityHistory row snapshots the stage, amount
  // and close date the deal had at that moment.
  const timeline: { at: number; apply: () => void }[] = [];

  // Walk the earlier stages, logging activity before each advance (unless planted otherwise).
  let t = createdAt;
  for (let k = 0; k < durations.length; k++) {
    const d = durations[k] as number;
    const isLastMove = k === durations.length - 1;
    const quiet = isLastMove && has('activity_not_logged') ? 8 * DAY_MS : 0;
    logStage(ctx, dealIdx, t, t + d, habit === 'never_logs' ? 1 : rng.int(1, 3), quiet);
    t += d;
    const at = t;
    const [from, to] = [path[k] as number, path[k + 1] as number];
    timeline.push({ at, apply: () => recordStage(ctx, dealIdx, to, at, from) });
  }

  if (has('close_date_pushed')) {
    // Three pushes within the last 90 days (and after creation), each later, ending in the future.
    const first = Math.max(createdAt + DAY_MS, now - 85 * DAY_MS);
    const last = now - 3 * DAY_MS;
    const initialClose = deal.closeDate ?? today;
    const finalClose = Math.max(today + rng.int(20, 45) * DAY_MS, initialClose + 21 * DAY_MS);
    const step = Math.max(DAY_MS, Math.floor((finalClose - initialClose) / 3 / DAY_MS) * DAY_MS);
    for (let i = 0; i < 3; i++) {
      // Windows are disjoint and in order, so push i happens before push i + 1.
      const at = Math.round(first + ((last - first) * (i + rng.real(0.1, 0.9))) / 3);
      const newClose = i === 2 ? finalClose : initialClose + (i + 1) * step;
      timeline.push({ at, apply: () => recordCloseDate(ctx, dealIdx, newClose, at) });
    }
  }
  if (has('amount_decreased') && deal.amount !== null) {
    const dropped = Math.round((deal.amount * rng.real(0.5, 0.65)) / 100) * 100;
    const at = Math.max(stageEnteredAt + HOUR_MS, now - rng.int(2, 4) * DAY_MS - rng.int(1, 8) * HOUR_MS);
    timeline.push({ at, apply: () => recordAmount(ctx, dealIdx, dropped, at) });
  }
  timeline.sort((a, b) => a.at - b.at);
  for (const event of timeline) event.apply();

  // Activity in the current stage.
  if (staleDays !== null) {
    addPastActivity(ctx, dealIdx, now - staleDays * DAY_MS - rng.int(1, 12) * HOUR_MS);
  } else {
    const sinceEntry = now - stageEnteredAt;
    // Salesforce Tasks carry only a date (ActivityDate): after a planted silent advance, the next
    // touches fall on a later UTC day, so that no date-only reading puts them before the move.
    const firstAfterMove = has('activity_not_logged')
      ? Math.floor(stageEnteredAt / DAY_MS) * DAY_MS + DAY_MS + HOUR_MS
      : stageEnteredAt + HOUR_MS;
    const recentFrom = Math.max(firstAfterMove, now - 9 * DAY_MS);
    // Two-way touches: one outbound, one inbound, the latest within the last 3 days.
    addActivity(ctx, dealIdx, rng.chance(0.5) ? 'email' : 'call', rng.real(recentFrom, now - HOUR_MS), { direction: 'outbound' });
    addActivity(ctx, dealIdx, rng.chance(0.6) ? 'email' : 'call', Math.max(firstAfterMove, now - rng.int(3, 70) * HOUR_MS), {
      direction: 'inbound',
    });
    const extra = Math.min(6, Math.floor(sinceEntry / (5 * DAY_MS))) + rng.int(1, 3);
    for (let i = 0; i < extra; i++) addPastActivity(ctx, dealIdx, rng.real(firstAfterMove, now - HOUR_MS));
  }
  if (!has('no_next_activity')) {
    if (rng.chance(0.5)) addActivity(ctx, dealIdx, 'task', now + rng.int(2, 10) * DAY_MS, { completed: false });
    else addActivity(ctx, dealIdx, 'meeting', now + rng.int(2, 12) * DAY_MS + rng.int(1, 8) * HOUR_MS, { completed: false });
  }

  book.planted.deals[deal.id] = [...problems];
  if (problems.length === 0) book.planted.healthy.push(deal.id);
}
