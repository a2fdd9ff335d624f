/** Generated books of business (fast-check arbitraries) for the engine's property tests. */
import fc from 'fast-check';
import { defaultRulesConfig, type EngineInput } from '../../../src/domain/engine.js';
import type { Activity, Deal, DealSnapshot, StageChange } from '../../../src/domain/model/index.js';
import { CONN, STAGES } from './builders.js';

export const DAY = 86_400_000;
const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const stageIds = [...STAGES.map((s) => s.id), 'unknown_stage'];
const dealIds = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7'];
const owners = ['rep1', 'rep2', 'rep3'];
const zones = ['UTC', 'America/New_York', 'Pacific/Auckland', 'Asia/Kolkata', 'Pacific/Chatham', 'America/St_Johns'];

const instant = fc
  .integer({ min: -400, max: 400 })
  .chain((d) => fc.integer({ min: 0, max: DAY - 1 }).map((ms) => new Date(BASE + d * DAY + ms).toISOString()));
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

export const engineInput: fc.Arbitrary<EngineInput> = fc
  .record({
    deals: fc.uniqueArray(deal, { maxLength: 8, selector: (d) => d.externalId }),
    activities: fc.array(activity, { maxLength: 25 }),
    stageChanges: fc.array(stageChange, { maxLength: 20 }),
    fieldChanges: fc.array(
      fc.record({
        connectionId: fc.constant(CONN),
        dealId: fc.constantFrom(...dealIds),
        field: fc.constantFrom('closeDate' as const, 'amount' as const),
        oldValue: fc.option(isoDate, { nil: null }),
        newValue: fc.option(isoDate, { nil: null }),
        at: instant,
      }),
      { maxLength: 10 },
    ),
    snapshots: fc.array(snapshot, { maxLength: 30 }),
    timezone: fc.constantFrom(...zones),
    rates: fc.option(fc.constant({ EUR: 1.1 }), { nil: undefined }),
    fy: fc.integer({ min: 1, max: 12 }),
    quotas: fc.option(fc.constant({ rep1: 100_000 }), { nil: undefined }),
  })
  .map(({ timezone, rates, fy, quotas, ...rest }) => ({
    ...rest,
    stages: STAGES,
    owners: owners.map((o) => ({
      connectionId: CONN,
      externalId: o,
      name: o,
      email: null,
      team: o === 'rep3' ? null : 'east',
      active: true,
    })),
    settings: {
      connectionId: CONN,
      timezone,
      reportingCurrency: 'USD',
      exchangeRates: rates,
      quotas,
      fiscalYearStartMonth: fy,
      rules: defaultRulesConfig(),
      lostReasonMapped: true,
    },
  }));

export const nowArb = fc.integer({ min: -30, max: 400 }).map((d) => BASE + d * DAY + 15 * 3_600_000);

/**
 * Books of well-run deals: recent two-way activity, a meeting booked, a close date ahead, a
 * complete record; some carry a discount past the approval matrix (a critical finding). Their
 * components score high, so only the findings can keep them out of the healthy band.
 */
export const wellRunBook: fc.Arbitrary<{ input: EngineInput; now: number }> = fc
  .record({
    deals: fc.uniqueArray(
      fc.record({
        id: fc.constantFrom(...dealIds),
        amount: fc.integer({ min: 1_000, max: 2_000_000 }),
        discount: fc.option(fc.double({ min: 0, max: 80, noNaN: true }), { nil: null }),
        touches: fc.integer({ min: 2, max: 8 }),
        daysInStage: fc.integer({ min: 0, max: 10 }),
      }),
      { minLength: 1, maxLength: 8, selector: (d) => d.id },
    ),
    now: nowArb,
  })
  .map(({ deals, now }) => {
    const iso = (ms: number) => new Date(ms).toISOString();
    const day = (ms: number) => iso(ms).slice(0, 10);
    const activities: Activity[] = deals.flatMap((d) => [
      ...Array.from({ length: d.touches }, (_, i): Activity => ({
        connectionId: CONN,
        externalId: `${d.id}-t${i}`,
        type: 'call',
        direction: i % 2 === 0 ? 'inbound' : 'outbound',
        occurredAt: iso(now - (i + 1) * 3_600_000),
        ownerId: 'rep1',
        dealIds: [d.id],
        completed: true,
        subject: null,
        origin: 'crm',
        modifiedAt: iso(now - (i + 1) * 3_600_000),
        isDeleted: false,
      })),
      {
        connectionId: CONN,
        externalId: `${d.id}-next`,
        type: 'meeting',
        direction: 'outbound',
        occurredAt: iso(now + 3 * DAY),
        ownerId: 'rep1',
        dealIds: [d.id],
        completed: false,
        subject: null,
        origin: 'crm',
        modifiedAt: iso(now - DAY),
        isDeleted: false,
      },
    ]);
    const input: EngineInput = {
      deals: deals.map((d): Deal => ({
        connectionId: CONN,
        externalId: d.id,
        name: `Deal ${d.id}`,
        ownerId: 'rep1',
        accountId: 'a1',
        accountName: 'Account',
        accountIsTarget: null,
        leadSource: 'web',
        pipeline: 'default',
        stageId: STAGES[1]!.id,
        amount: d.amount,
        currency: null,
        closeDate: day(now + 45 * DAY),
        createdAt: iso(now - (d.daysInStage + 5) * DAY),
        modifiedAt: iso(now - DAY),
        probability: null,
        forecastCategory: 'pipeline',
        nextStep: 'Send the proposal',
        isClosed: false,
        isWon: false,
        stageEnteredAt: iso(now - d.daysInStage * DAY),
        discountPercent: d.discount,
        contactCount: 3,
        lostReason: null,
        isDeleted: false,
        deletedAt: null,
      })),
      activities,
      stageChanges: deals.map((d): StageChange => ({
        connectionId: CONN,
        dealId: d.id,
        fromStageId: STAGES[0]!.id,
        toStageId: STAGES[1]!.id,
        at: iso(now - d.daysInStage * DAY),
        amount: d.amount,
        closeDate: day(now + 45 * DAY),
      })),
      fieldChanges: [],
      snapshots: [],
      stages: STAGES,
      owners: [{ connectionId: CONN, externalId: 'rep1', name: 'rep1', email: null, team: 'east', active: true }],
      settings: {
        connectionId: CONN,
        timezone: 'UTC',
        reportingCurrency: 'USD',
        fiscalYearStartMonth: 1,
        rules: defaultRulesConfig(),
        lostReasonMapped: true,
      },
    };
    return { input, now };
  });
