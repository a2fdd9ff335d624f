/**
 * Engine benchmark: rules + score throughput and full report time on a synthetic book of
 * 100,000 open deals with 1,000,000 activities (plus closed history, stage changes, close-date
 * pushes and two daily snapshots per open deal). Deterministic (mulberry32 PRNG), no sandbox.
 *
 *   npx tsx test/bench/engine.ts [openDeals] [activities]
 *
 * Prints one JSON line: build/evaluate timings, deals per second, report milliseconds, as wall
 * time and as this process's CPU time. Run with `node --expose-gc --single-threaded-gc --import tsx`
 * to collect the generator's garbage before timing and keep GC on the measured core.
 */
import type { Activity, Deal, DealFieldChange, DealSnapshot, Owner, Stage, StageChange } from '../../src/domain/model/index.js';
import os from 'node:os';
import { hostCalibration } from './host.js';
import { indexInput, buildReport, defaultRulesConfig, evaluateDeals, learnBenchmarks, type EngineInput } from '../../src/domain/engine.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;

/** Builds the synthetic book. */
export function syntheticBook(openDeals: number, activityCount: number, nowMs: number, seed = 42): EngineInput {
  const rnd = mulberry32(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const conn = 'bench';
  const stageDefs = [
    ['qualify', 0.1],
    ['discovery', 0.2],
    ['demo', 0.4],
    ['proposal', 0.6],
    ['negotiation', 0.8],
  ] as const;
  const stages: Stage[] = stageDefs.map(([id, p], order) => ({
    connectionId: conn,
    pipeline: 'default',
    id,
    label: id,
    order,
    probability: p,
    isClosed: false,
    isWon: false,
  }));
  stages.push({
    connectionId: conn,
    pipeline: 'default',
    id: 'won',
    label: 'Closed Won',
    order: 5,
    probability: 1,
    isClosed: true,
    isWon: true,
  });
  stages.push({
    connectionId: conn,
    pipeline: 'default',
    id: 'lost',
    label: 'Closed Lost',
    order: 6,
    probability: 0,
    isClosed: true,
    isWon: false,
  });
  const owners: Owner[] = Array.from({ length: 50 }, (_, i) => ({
    connectionId: conn,
    externalId: `rep${i}`,
    name: `Rep ${i}`,
    email: null,
    team: `team${i % 5}`,
    active: true,
  }));
  const iso = (ms: number): string => new Date(ms).toISOString();
  const isoDay = (ms: number): string => iso(ms).slice(0, 10);
  const deals: Deal[] = [];
  const stageChanges: StageChange[] = [];
  const fieldChanges: DealFieldChange[] = [];
  const snapshots: DealSnapshot[] = [];
  const closedDeals = Math.floor(openDeals / 5);
  const currencies = ['USD', 'USD', 'USD', 'EUR', 'GBP'];
  for (let i = 0; i < openDeals + closedDeals; i++) {
    const open = i < openDeals;
    const created = nowMs - (10 + int(300)) * DAY;
    const rank = open ? int(5) : 5 + int(2);
    const stageId = open ? stageDefs[rank]![0] : rank === 5 ? 'won' : 'lost';
    const amount = rnd() < 0.03 ? null : 1000 + int(100) * 1000;
    const closeMs = open ? nowMs + (int(120) - 20) * DAY : created + (20 + int(150)) * DAY;
    const id = `D${i}`;
    const currency = currencies[int(currencies.length)]!;
    deals.push({
      connectionId: conn,
      externalId: id,
      name: id,
      ownerId: `rep${int(50)}`,
      accountId: `acc${int(5000)}`,
      accountName: null,
      accountIsTarget: null,
      leadSource: ['web', 'event', 'partner', 'outbound'][int(4)]!,
      pipeline: 'default',
      stageId,
      amount,
      currency,
      closeDate: rnd() < 0.02 ? null : isoDay(Math.min(closeMs, open ? closeMs : nowMs)),
      createdAt: iso(created),
      modifiedAt: iso(created),
      probability: null,
      forecastCategory: (['pipeline', 'best_case', 'commit'] as const)[int(3)]!,
      nextStep: rnd() < 0.2 ? null : 'next',
      isClosed: !open,
      isWon: rank === 5,
      stageEnteredAt: null,
      discountPercent: rnd() < 0.3 ? int(30) : null,
      contactCount: int(5),
      lostReason: rnd() < 0.5 ? null : 'price',
      isDeleted: false,
      deletedAt: null,
    });
    // history: walk up to the current rank
    let t = created;
    let prev: string | null = null;
    const steps = open ? rank : 1 + int(5);
    for (let s = 0; s <= steps; s++) {
      const to = s === steps ? stageId : stageDefs[Math.min(s, 4)]![0];
      stageChanges.push({
        connectionId: conn,
        dealId: id,
        fromStageId: prev,
        toStageId: to,
        at: iso(Math.min(t, nowMs)),
        amount: null,
        closeDate: null,
      });
      prev = to;
      t += (1 + int(20)) * DAY;
    }
    if (open && rnd() < 0.1) {
      const d0 = closeMs - 40 * DAY;
      fieldChanges.push({
        connectionId: conn,
        dealId: id,
        field: 'closeDate',
        oldValue: isoDay(d0),
        newValue: isoDay(d0 + 20 * DAY),
        at: iso(nowMs - int(60) * DAY),
      });
      fieldChanges.push({
        connectionId: conn,
        dealId: id,
        field: 'closeDate',
        oldValue: isoDay(d0 + 20 * DAY),
        newValue: isoDay(closeMs),
        at: iso(nowMs - int(30) * DAY),
      });
    }
    if (open) {
      for (const back of [7, 0]) {
        snapshots.push({
          connectionId: conn,
          day: isoDay(nowMs - back * DAY),
          dealId: id,
          ownerId: deals[i]!.ownerId,
          pipeline: 'default',
          stageId,
          amount: amount === null ? null : back === 7 ? amount * (rnd() < 0.05 ? 1.5 : 1) : amount,
          currency,
          closeDate: deals[i]!.closeDate,
          probability: null,
          forecastCategory: null,
          isClosed: false,
          isWon: false,
        });
      }
    }
  }
  const types = ['call', 'email', 'meeting', 'note', 'task'] as const;
  const dirs = ['inbound', 'outbound', 'unknown'] as const;
  const activities: Activity[] = new Array(activityCount);
  for (let i = 0; i < activityCount; i++) {
    const at = nowMs - int(120 * DAY) + 10 * DAY * (rnd() < 0.05 ? 1 : 0);
    const type = types[int(5)]!;
    activities[i] = {
      connectionId: conn,
      externalId: `A${i}`,
      type,
      direction: dirs[int(3)]!,
      occurredAt: iso(at),
      ownerId: `rep${int(50)}`,
      dealIds: [`D${int(openDeals + closedDeals)}`],
      completed: type !== 'task' || rnd() < 0.7,
      subject: null,
      origin: rnd() < 0.02 ? 'dealwatch' : 'crm',
      modifiedAt: iso(at),
      isDeleted: false,
    };
  }
  return {
    settings: {
      connectionId: conn,
      timezone: 'America/New_York',
      reportingCurrency: 'USD',
      exchangeRates: { EUR: 1.1, GBP: 1.25 },
      quotas: Object.fromEntries(owners.map((o) => [o.externalId, 500_000])),
      fiscalYearStartMonth: 2,
      rules: defaultRulesConfig(),
      lostReasonMapped: true,
    },
    deals,
    activities,
    stageChanges,
    fieldChanges,
    stages,
    owners,
    snapshots,
  };
}

function main(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const openDeals = Number(process.argv[2] ?? 100_000);
  const activityCount = Number(process.argv[3] ?? 1_000_000);
  const nowMs = Date.parse('2026-11-26T15:00:00.000Z');
  const t0 = performance.now();
  const input = syntheticBook(openDeals, activityCount, nowMs);
  const t1 = performance.now();
  // CPU time of this process (user + system) beside wall time: the bench host may be shared, and
  // CPU time is what "one core" means when other processes compete for the cores.
  const cpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const r = (x: number): number => Math.round(x);
  const timed = <T>(fn: () => T): { value: T; wallMs: number; cpuMs: number } => {
    gc?.();
    const w = performance.now();
    const c = cpu();
    const value = fn();
    return { value, wallMs: performance.now() - w, cpuMs: cpu() - c };
  };
  const calibration = hostCalibration();
  const indexed = timed(() => indexInput(input, nowMs));
  const benchmarks = timed(() => learnBenchmarks(input, 20));
  const options = { indexed: indexed.value, benchmarks: benchmarks.value };
  const first = timed(() => evaluateDeals(input, nowMs, options));
  // steady state: the JIT has seen the whole book once (a worker scores many runs)
  const runs = [1, 2, 3].map(() => timed(() => evaluateDeals(input, nowMs, options)));
  const best = runs.reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
  const evaluation = first.value;
  const report = timed(() => buildReport(input, nowMs, { evaluation }));
  const reportWarm = timed(() => buildReport(input, nowMs, { evaluation }));
  const deals = evaluation.evaluatedDealIds.length;
  const perSec = (ms: number): number => Math.round(deals / (ms / 1000));
  console.log(
    JSON.stringify({
      bench: 'engine',
      openDeals,
      closedDeals: input.deals.length - openDeals,
      activities: activityCount,
      findings: evaluation.findings.length,
      generateMs: r(t1 - t0),
      indexMs: { wall: r(indexed.wallMs), cpu: r(indexed.cpuMs) },
      benchmarksMs: { wall: r(benchmarks.wallMs), cpu: r(benchmarks.cpuMs) },
      rulesAndScoreFirstRunMs: { wall: r(first.wallMs), cpu: r(first.cpuMs) },
      rulesAndScoreWarmMs: { wall: r(best.wallMs), cpu: r(best.cpuMs) },
      dealsPerSecond: { firstRunCpu: perSec(first.cpuMs), warmCpu: perSec(best.cpuMs), warmWall: perSec(best.wallMs) },
      dealsPerSecondIncludingIndex: {
        cpu: perSec(indexed.cpuMs + benchmarks.cpuMs + first.cpuMs),
        wall: perSec(indexed.wallMs + benchmarks.wallMs + first.wallMs),
      },
      reportMs: { wall: r(report.wallMs), cpu: r(report.cpuMs), warmWall: r(reportWarm.wallMs), warmCpu: r(reportWarm.cpuMs) },
      fullRunFromScratchMs: {
        wall: r(indexed.wallMs + benchmarks.wallMs + first.wallMs + report.wallMs),
        cpu: r(indexed.cpuMs + benchmarks.cpuMs + first.cpuMs + report.cpuMs),
      },
      loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
      cpus: os.cpus().length,
      calibration,
      waterfallEnd: report.value.changes.waterfalls.map((w) => `${w.end} ${w.currency}`),
    }),
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) main();
