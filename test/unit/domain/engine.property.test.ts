import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildReport, defaultRulesConfig, evaluateDeals, waterfallBalances, type EngineInput } from '../../../src/domain/engine.js';
import { Activity, Deal, DealScore, DealSnapshot, Finding, StageChange } from '../../../src/domain/model/index.js';
import { CONN, STAGES } from './builders.js';

const DAY = 86_400_000;
const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const stageIds = [...STAGES.map((s) => s.id), 'unknown_stage'];
const dealIds = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7'];
const owners = ['rep1', 'rep2', 'rep3'];
const zones = ['UTC', 'America/New_York', 'Pacific/Auckland', 'Asia/Kolkata', 'Pacific/Chatham', 'America/St_Johns'];

const instant = fc.integer({ min: -400, max: 400 }).chain((d) => fc.integer({ min: 0, max: DAY - 1 }).map((ms) => new Date(BASE + d * DAY + ms).toISOString()));
const isoDate = fc.integer({ min: -400, max: 500 }).map((d) => new Date(BASE + d * DAY).toISOString().slice(0, 10));
const money = fc.option(fc.oneof(fc.integer({ min: 0, max: 2_000_000 }), fc.double({ min: 0, max: 1e6, noNaN: true })), { nil: null });
const currency = fc.option(fc.constantFrom('USD', 'EUR', 'GBP'), { nil: null });

const deal: fc.Arbitrary<Deal> = fc.record({
  connectionId: fc.constant(CONN),
  externalId: fc.constantFrom(...dealIds),
  name: fc.string(),
  ownerId: fc.option(fc.constantFrom(...owners), { nil: null }),
  accountId: fc.option(fc.constantFrom('a1', 'a2', 'a3'), { nil: null }),
  accountName: fc.option(fc.string(), { nil: null }),
  accountIsTarget: fc.option(fc.boolean(), { nil: null }),
  leadSource: fc.option(fc.constantFrom('web', 'event'), { nil: null }),
  pipeline: fc.constantFrom('default', 'other'),
  stageId: fc.constantFrom(...stageIds),
  amount: money,
  currency,
  closeDate: fc.option(isoDate, { nil: null }),
  createdAt: instant,
  modifiedAt: instant,
  probability: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
  forecastCategory: fc.option(fc.constantFrom('pipeline', 'best_case', 'commit', 'closed', 'omitted'), { nil: null }),
  nextStep: fc.option(fc.string(), { nil: null }),
  isClosed: fc.boolean(),
  isWon: fc.boolean(),
  stageEnteredAt: fc.option(instant, { nil: null }),
  discountPercent: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null }),
  contactCount: fc.option(fc.nat(5), { nil: null }),
  lostReason: fc.option(fc.string(), { nil: null }),
  isDeleted: fc.boolean(),
  deletedAt: fc.option(instant, { nil: null }),
});

const activity: fc.Arbitrary<Activity> = fc.record({
  connectionId: fc.constant(CONN),
  externalId: fc.string({ minLength: 1 }),
  type: fc.constantFrom('call', 'email', 'meeting', 'note', 'task'),
  direction: fc.constantFrom('inbound', 'outbound', 'unknown'),
  occurredAt: instant,
  ownerId: fc.option(fc.constantFrom(...owners), { nil: null }),
  dealIds: fc.array(fc.constantFrom(...dealIds, 'ghost'), { maxLength: 3 }),
  completed: fc.boolean(),
  subject: fc.constant(null),
  origin: fc.constantFrom('crm', 'dealwatch'),
  modifiedAt: instant,
  isDeleted: fc.boolean(),
});

const stageChange: fc.Arbitrary<StageChange> = fc.record({
  connectionId: fc.constant(CONN),
  dealId: fc.constantFrom(...dealIds),
  fromStageId: fc.option(fc.constantFrom(...stageIds), { nil: null }),
  toStageId: fc.constantFrom(...stageIds),
  at: instant,
  amount: money,
  closeDate: fc.option(isoDate, { nil: null }),
});

const snapshot: fc.Arbitrary<DealSnapshot> = fc.record({
  connectionId: fc.constant(CONN),
  day: isoDate,
  dealId: fc.constantFrom(...dealIds),
  ownerId: fc.option(fc.constantFrom(...owners), { nil: null }),
  pipeline: fc.constantFrom('default', 'other'),
  stageId: fc.constantFrom(...stageIds),
  amount: money,
  currency,
  closeDate: fc.option(isoDate, { nil: null }),
  probability: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
  forecastCategory: fc.option(fc.constantFrom('pipeline', 'commit'), { nil: null }),
  isClosed: fc.boolean(),
  isWon: fc.boolean(),
});

const engineInput: fc.Arbitrary<EngineInput> = fc.record({
  deals: fc.uniqueArray(deal, { maxLength: 8, selector: (d) => d.externalId }),
  activities: fc.array(activity, { maxLength: 25 }),
  stageChanges: fc.array(stageChange, { maxLength: 20 }),
  fieldChanges: fc.array(
    fc.record({ connectionId: fc.constant(CONN), dealId: fc.constantFrom(...dealIds), field: fc.constantFrom('closeDate' as const, 'amount' as const), oldValue: fc.option(isoDate, { nil: null }), newValue: fc.option(isoDate, { nil: null }), at: instant }),
    { maxLength: 10 },
  ),
  snapshots: fc.array(snapshot, { maxLength: 30 }),
  timezone: fc.constantFrom(...zones),
  rates: fc.option(fc.constant({ EUR: 1.1 }), { nil: undefined }),
  fy: fc.integer({ min: 1, max: 12 }),
  quotas: fc.option(fc.constant({ rep1: 100_000 }), { nil: undefined }),
}).map(({ timezone, rates, fy, quotas, ...rest }) => ({
  ...rest,
  stages: STAGES,
  owners: owners.map((o) => ({ connectionId: CONN, externalId: o, name: o, email: null, team: o === 'rep3' ? null : 'east', active: true })),
  settings: { connectionId: CONN, timezone, reportingCurrency: 'USD', exchangeRates: rates, quotas, fiscalYearStartMonth: fy, rules: defaultRulesConfig(), lostReasonMapped: true },
}));

const nowArb = fc.integer({ min: -30, max: 400 }).map((d) => BASE + d * DAY + 15 * 3_600_000);

describe('engine properties', () => {
  it('never throws on valid canonical input; findings and scores are valid, scores in 0-100', () => {
    fc.assert(
      fc.property(engineInput, nowArb, (inp, now) => {
        const ev = evaluateDeals(inp, now);
        for (const f of ev.findings) expect(Finding.safeParse(f).success).toBe(true);
        for (const s of ev.scores) {
          expect(DealScore.safeParse(s).success).toBe(true);
          expect(s.score).toBeGreaterThanOrEqual(0);
          expect(s.score).toBeLessThanOrEqual(100);
          expect(s.reasons.filter((r) => r.impact > 0).length).toBeLessThanOrEqual(3);
          expect(s.reasons.filter((r) => r.impact < 0).length).toBeLessThanOrEqual(3);
        }
        const openIds = inp.deals.filter((d) => !d.isDeleted && !d.isClosed).map((d) => d.externalId).sort();
        expect(ev.scores.map((s) => s.dealId).sort()).toEqual(openIds);
      }),
      { numRuns: 150 },
    );
  });

  it('builds the full report without throwing, and every waterfall adds up', () => {
    fc.assert(
      fc.property(engineInput, nowArb, fc.integer({ min: 1, max: 60 }), fc.boolean(), (inp, now, span, allOpen) => {
        const to = new Date(now).toISOString().slice(0, 10);
        const from = new Date(now - span * DAY).toISOString().slice(0, 10);
        const r = buildReport(inp, now, { changes: allOpen ? { from, to, closeWithin: null } : { from, to } });
        for (const w of r.changes.waterfalls) expect(waterfallBalances(w)).toBe(true);
        for (const rep of r.changes.byRep) for (const w of rep.waterfalls) expect(waterfallBalances(w)).toBe(true);
        // The review survives JSON as it is (what the API and the page send): no NaN, Infinity or Date.
        expect(JSON.parse(JSON.stringify(r.review))).toEqual(r.review);
      }),
      { numRuns: 150 },
    );
  });
});
