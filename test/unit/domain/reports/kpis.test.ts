import { describe, expect, it } from 'vitest';
import {
  buildReport,
  evaluateDeals,
  computeKpis,
  fiscalQuarter,
  previousPeriod,
  quarterToDate,
  reportContext,
  trailingDays,
} from '../../../../src/domain/engine.js';
import { dayOfIsoDate } from '../../../../src/domain/time.js';
import { activity, deal, input, lostDeal, move, NOW, owner, settings, wonDeal } from '../builders.js';

// NOW = 2026-11-26 15:00 UTC. Trailing 30 days = 2026-10-28..2026-11-26; QTD = 2026-10-01..2026-11-26.
const book = input({
  settings: settings({ exchangeRates: { EUR: 1.1 }, quotas: { rep1: 100_000 }, teams: { east: ['rep1', 'rep2'] } }),
  owners: [owner('rep1'), owner('rep2')],
  deals: [
    wonDeal('w1', { amount: 10_000, createdAt: '2026-10-01T10:00:00.000Z', closeDate: '2026-11-10' }), // cycle 40
    wonDeal('w2', { amount: 20_000, createdAt: '2026-11-01T10:00:00.000Z', closeDate: '2026-11-21' }), // cycle 20
    lostDeal('l1', { createdAt: '2026-10-05T10:00:00.000Z', closeDate: '2026-11-15' }),
    // 33,000 USD, cycle 61
    wonDeal('w3', { ownerId: 'rep2', amount: 30_000, currency: 'EUR', createdAt: '2026-09-01T10:00:00.000Z', closeDate: '2026-11-01' }),
    lostDeal('l2', { ownerId: 'rep2', createdAt: '2026-09-15T10:00:00.000Z', closeDate: '2026-11-02' }),
    lostDeal('l3', { ownerId: 'rep2', createdAt: '2026-09-15T10:00:00.000Z', closeDate: '2026-11-03' }),
    deal('o1', { stageId: 'qualify', amount: 5_000 }),
    deal('o2', { stageId: 'demo', amount: 15_000 }),
    deal('o3', { ownerId: 'rep2', stageId: 'proposal', amount: 8_000, createdAt: '2026-10-01T10:00:00.000Z' }),
  ],
  stageChanges: [
    move('o2', 'qualify', 'demo', '2026-11-21T10:00:00.000Z'),
    move('w2', null, 'discovery', '2026-11-02T10:00:00.000Z'),
    move('w2', 'discovery', 'demo', '2026-11-10T10:00:00.000Z'),
    move('w2', 'demo', 'won', '2026-11-21T10:00:00.000Z'),
  ],
  activities: [
    activity('o1', '2026-11-20T10:00:00.000Z'),
    activity('w1', '2026-11-05T10:00:00.000Z'),
    activity('w2', '2026-11-06T10:00:00.000Z'),
    activity('w2', '2026-11-07T10:00:00.000Z', { type: 'email' }),
    activity('o1', '2026-11-21T10:00:00.000Z', { type: 'note', origin: 'dealwatch' }),
    activity('o1', '2026-11-30T10:00:00.000Z', { type: 'meeting', completed: false }),
    activity('o3', '2026-11-01T10:00:00.000Z', { type: 'meeting', ownerId: 'rep2' }),
    activity('w3', '2026-10-30T10:00:00.000Z', { type: 'meeting', ownerId: 'rep2' }),
  ],
});

describe('KPIs on a small book worked out by hand', () => {
  const report = computeKpis(reportContext(evaluateDeals(book, NOW).indexed, evaluateDeals(book, NOW)));
  const trailing = report.connection.periods[0]!;
  const qtd = report.connection.periods[1]!;

  it('uses trailing 30 days and quarter to date with previous periods', () => {
    expect([trailing.period.start, trailing.period.end]).toEqual(['2026-10-28', '2026-11-26']);
    expect([trailing.previousPeriod.start, trailing.previousPeriod.end]).toEqual(['2026-09-28', '2026-10-27']);
    expect([qtd.period.start, qtd.period.end]).toEqual(['2026-10-01', '2026-11-26']);
    expect([qtd.previousPeriod.start, qtd.previousPeriod.end]).toEqual(['2026-07-01', '2026-08-26']);
  });

  it('win rate = won / (won + lost) = 3 / 6', () => {
    expect([trailing.current.won, trailing.current.lost, trailing.current.winRate]).toEqual([3, 3, 0.5]);
  });

  it('cohort win rate: created in the window (w2, o1, o2) -> 1 won of 3', () => {
    expect(trailing.current.cohort).toEqual({ created: 3, won: 1, lost: 0, winRate: 1 / 3 });
  });

  it(
    'previous cohort compares at equal age: w1 and l1 (created 10-01 / 10-05) closed after day 29 ' +
      'of their cohort, so they do not count',
    () => {
      // Current cohort is 29 days old (10-28 -> 11-26); previous cohort 09-28..10-27 counts closes up to 10-27.
      expect(trailing.previous.cohort).toEqual({ created: 3, won: 0, lost: 0, winRate: 0 });
    },
  );

  it('average won deal size converts EUR: (10,000 + 20,000 + 33,000) / 3 = 21,000 USD', () => {
    expect(trailing.current.avgDealSize).toEqual([{ currency: 'USD', amount: 21_000 }]);
  });

  it('median sales cycle of 40, 20 and 61 days is 40', () => {
    expect(trailing.current.medianSalesCycleDays).toBe(40);
  });

  it('pipeline velocity = 2 qualified open deals x 0.5 x 21,000 / 40 = 525 USD per day', () => {
    expect(report.connection.state.qualifiedOpenDeals).toBe(2);
    expect(trailing.current.pipelineVelocityPerDay).toEqual([{ currency: 'USD', amount: 525 }]);
  });

  it('stage conversion: Discovery 1/1 advanced, Demo 1 of 2', () => {
    expect(trailing.current.stageConversion.map((s) => [s.stageId, s.entered, s.advanced])).toEqual([
      ['discovery', 1, 1],
      ['demo', 2, 1],
    ]);
  });

  it('activity volume counts only rep activity that happened: 4 calls/emails/meetings in range + 2 meetings', () => {
    expect(trailing.current.activities.byType).toEqual({ call: 3, email: 1, meeting: 2, note: 0, task: 0 });
    expect(trailing.current.activities.total).toBe(6);
    expect(trailing.current.activities.perWeek).toBe(1.4); // 6 / (30 / 7)
    // weeks start on Monday; the first is clipped to the period start (Wed 2026-10-28)
    expect(trailing.current.activities.weekly).toEqual([
      { weekStart: '2026-10-28', count: 2 }, // Fri Oct 30 and Sun Nov 1 meetings
      { weekStart: '2026-11-02', count: 3 }, // Nov 5, 6, 7
      { weekStart: '2026-11-09', count: 0 },
      { weekStart: '2026-11-16', count: 1 }, // Nov 20
      { weekStart: '2026-11-23', count: 0 },
    ]);
  });

  it('state: open pipeline, stale value and share, compliance', () => {
    const s = report.connection.state;
    expect(s.openPipeline).toEqual([{ currency: 'USD', amount: 28_000 }]);
    expect(s.stalePipeline).toEqual([{ currency: 'USD', amount: 8_000 }]); // o3: 25 days idle
    expect(s.staleShare).toBeCloseTo(8 / 28);
    expect(s.compliance).toMatchObject({ openDeals: 3, withRecentActivity: 1, windowDays: 14 });
  });

  it('quota coverage for a rep with a quota', () => {
    const rep1 = report.reps.find((r) => r.id === 'rep1')!;
    expect(rep1.state.quota).toMatchObject({
      quota: 100_000,
      wonToDate: 30_000,
      attainment: 0.3,
      remaining: 70_000,
      pipelineThisQuarter: 20_000,
    });
    expect(rep1.state.quota!.coverage).toBeCloseTo(20_000 / 70_000);
    expect(report.reps.find((r) => r.id === 'rep2')!.state.quota).toBeNull();
    expect(rep1.periods[0]!.current.winRate).toBeCloseTo(2 / 3);
    expect(report.teams.map((t) => t.id)).toEqual(['east']);
    expect(report.teams[0]!.periods[0]!.current.won).toBe(3);
  });

  it('reports per currency when no rate is given', () => {
    const noRates = { ...book, settings: settings({}) };
    const r = computeKpis(reportContext(evaluateDeals(noRates, NOW).indexed, evaluateDeals(noRates, NOW)));
    expect(r.connection.periods[0]!.current.avgDealSize).toEqual([
      { currency: 'USD', amount: 15_000 },
      { currency: 'EUR', amount: 30_000 },
    ]);
  });
});

describe('periods', () => {
  it('compares a trailing window with the days right before, even when it starts on a quarter start', () => {
    const t = trailingDays(dayOfIsoDate('2026-10-30'), 30); // 2026-10-01..2026-10-30
    expect([t.start, previousPeriod(t, 1).start, previousPeriod(t, 1).end]).toEqual(['2026-10-01', '2026-09-01', '2026-09-30']);
    const q = quarterToDate(dayOfIsoDate('2026-10-30'), 1);
    expect([previousPeriod(q, 1).start, previousPeriod(q, 1).end]).toEqual(['2026-07-01', '2026-07-30']);
    const whole = fiscalQuarter(dayOfIsoDate('2026-10-30'), 1);
    expect([previousPeriod(whole, 1).start, previousPeriod(whole, 1).end]).toEqual(['2026-07-01', '2026-09-30']);
  });
});

describe('trend flags', () => {
  const wins = (prefix: string, n: number, amount: number, closeDate: string) =>
    Array.from({ length: n }, (_, i) => wonDeal(`${prefix}${i}`, { amount, createdAt: '2026-08-01T10:00:00.000Z', closeDate }));

  it('flags average deal size down more than 15%: check for early discounting', () => {
    const inp = input({ deals: [...wins('p', 5, 10_000, '2026-10-10'), ...wins('c', 5, 8_000, '2026-11-10')] });
    const flags = buildReport(inp, NOW).kpis.connection.periods[0]!.trendFlags;
    const f = flags.find((x) => x.kpi === 'avgDealSize');
    expect(f).toMatchObject({ direction: 'down', concern: true, changePercent: -20, bandPercent: 15 });
    expect(f!.message).toContain('check for early discounting');
  });

  it('stays quiet within the band and with too few samples', () => {
    const within = input({ deals: [...wins('p', 5, 10_000, '2026-10-10'), ...wins('c', 5, 9_000, '2026-11-10')] });
    expect(buildReport(within, NOW).kpis.connection.periods[0]!.trendFlags.find((x) => x.kpi === 'avgDealSize')).toBeUndefined();
    const few = input({ deals: [...wins('p', 4, 10_000, '2026-10-10'), ...wins('c', 4, 5_000, '2026-11-10')] });
    expect(buildReport(few, NOW).kpis.connection.periods[0]!.trendFlags).toEqual([]);
  });

  it('honours a per-KPI band', () => {
    const inp = input({
      deals: [...wins('p', 5, 10_000, '2026-10-10'), ...wins('c', 5, 9_000, '2026-11-10')],
      settings: settings({ rules: { reports: { trendBands: { avgDealSize: 5 } } } }),
    });
    expect(buildReport(inp, NOW).kpis.connection.periods[0]!.trendFlags.find((x) => x.kpi === 'avgDealSize')?.changePercent).toBe(-10);
  });
});
