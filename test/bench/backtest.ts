/**
 * Backtest benchmark: `runBacktest` over 4 past quarters (8 rebuilt pipelines, 3 methods each)
 * and the forecast roll-up, on the engine benchmark's synthetic book sized to 100,000 deals in
 * all (open + closed) with 1,000,000 activities.
 *
 *   npx tsx test/bench/backtest.ts [totalDeals] [activities]
 *
 * Prints one JSON line: timeline build, backtest and roll-up times, wall and CPU.
 */
import os from 'node:os';
import { indexInput, buildTimelines, computeRollup, evaluateDeals, reportContext, runBacktest } from '../../src/domain/engine.js';
import { syntheticBook } from './engine.js';

function timed<T>(work: () => T): { value: T; wallMs: number; cpuMs: number } {
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  const value = work();
  const c = process.cpuUsage(c0);
  return { value, wallMs: performance.now() - w0, cpuMs: (c.user + c.system) / 1000 };
}
const r = (x: number): number => Math.round(x);

function main(): void {
  const total = Number(process.argv[2] ?? 100_000);
  const activityCount = Number(process.argv[3] ?? 1_000_000);
  const nowMs = Date.parse('2026-11-26T15:00:00.000Z');
  // the synthetic book adds one closed deal per five open ones
  const input = syntheticBook(Math.round((total * 5) / 6), activityCount, nowMs);
  const indexed = indexInput(input, nowMs);
  const timelines = timed(() => buildTimelines(indexed));
  const backtest = timed(() => runBacktest(indexed, { quarters: 4, timelines: timelines.value }));
  const ctx = reportContext(indexed, evaluateDeals(input, nowMs, { indexed }));
  const rollup = timed(() => computeRollup(ctx, { timelines: timelines.value }));
  console.log(
    JSON.stringify({
      bench: 'backtest',
      deals: input.deals.length,
      activities: activityCount,
      quarters: backtest.value.quarters.length,
      points: backtest.value.points.length,
      timelinesMs: { wall: r(timelines.wallMs), cpu: r(timelines.cpuMs) },
      backtestMs: { wall: r(backtest.wallMs), cpu: r(backtest.cpuMs) },
      rollupMs: { wall: r(rollup.wallMs), cpu: r(rollup.cpuMs) },
      backtestIncludingTimelinesMs: { wall: r(timelines.wallMs + backtest.wallMs), cpu: r(timelines.cpuMs + backtest.cpuMs) },
      summary: backtest.value.summary,
      loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
      cpus: os.cpus().length,
    }),
  );
}

main();
