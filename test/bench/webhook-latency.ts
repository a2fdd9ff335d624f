/**
 * Webhook-to-annotation latency at a steady rate: the sandbox (its own process) moves deals at
 * `eventsPerSecond` for `seconds` and sends its signed HubSpot webhooks to the dealwatch server;
 * each event is refetched, upserted, scored and written back (fast-path-harness.ts).
 *
 *   npx tsx test/bench/webhook-latency.ts [eventsPerSecond=20] [seconds=60] [deals=500]
 *
 * Goals: embedded default (PGlite, PostgreSQL-backend queues) p95 < 1 s; Redis queues (REDIS_URL)
 * p95 < 250 ms. Prints one JSON line with p50/p95/p99 (ms), where the time went, and the host's
 * calibration; exits 1 when an event was not handled.
 */
import { calibrateHost } from './host.js';
import { openFastPath } from './fast-path-harness.js';

const [rate = 20, seconds = 60, deals = 500] = process.argv.slice(2).map(Number);
const host = calibrateHost();
const bench = await openFastPath({ deals });
const total = rate * seconds;
let fired = 0;
const moves: Promise<unknown>[] = [];
const t0 = Date.now();
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate));
    while (fired < due) {
      moves.push(bench.move(bench.open[fired % bench.open.length]!, fired));
      fired += 1;
    }
    if (fired >= total) {
      clearInterval(timer);
      resolve();
    }
  }, 10);
});
await Promise.all(moves);
await bench.settle(120_000);
const result = await bench.results();
console.log(
  JSON.stringify({
    bench: 'webhook-latency',
    eventsPerSecond: rate,
    seconds,
    stageChanges: fired,
    eventsLost: fired - result.eventsHandled,
    ...result,
    host,
  }),
);
await bench.close();
// Each stage change is one webhook event: one not handled by now is lost (or its delivery never got through).
const eventsLost = fired - result.eventsHandled;
process.exit(result.eventsFailed > 0 || eventsLost > 0 ? 1 : 0);
