/**
 * A burst of stage changes (a bulk update: an import, a pipeline clean-up): `changes` moves within
 * one second over `distinctDeals` deals, so most deals move more than once, sent as the sandbox's
 * signed HubSpot webhooks (sandbox in its own process, fast-path-harness.ts).
 *
 *   npx tsx test/bench/webhook-burst.ts [changes=500] [distinctDeals=200] [deals=500]
 *
 * Goals: every event handled, the events of one deal coalesced, p99 < 60 s, nothing lost (every
 * deal stored at the stage the CRM holds last: `staleDeals` 0), no 429 from the CRM. Prints one JSON
 * line; exits 1 when an event was not handled or a deal was left stale.
 */
import { calibrateHost } from './host.js';
import { openFastPath } from './fast-path-harness.js';

const [changes = 500, distinctDeals = 200, deals = 500] = process.argv.slice(2).map(Number);
const host = calibrateHost();
const bench = await openFastPath({ deals });
const targets = bench.open.slice(0, distinctDeals);
const moves: Promise<unknown>[] = [];
const t0 = Date.now();
let fired = 0;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const due = Math.min(changes, Math.ceil(((Date.now() - t0) / 1000) * changes));
    while (fired < due) {
      moves.push(bench.move(targets[fired % targets.length]!, fired));
      fired += 1;
    }
    if (fired >= changes) {
      clearInterval(timer);
      resolve();
    }
  }, 5);
});
await Promise.all(moves);
const firedInMs = Date.now() - t0;
await bench.settle(300_000);
const result = await bench.results();
console.log(
  JSON.stringify({
    bench: 'webhook-burst',
    stageChanges: fired,
    distinctDeals: targets.length,
    firedInMs,
    eventsLost: fired - result.eventsHandled,
    ...result,
    host,
  }),
);
await bench.close();
// Each stage change is one webhook event: one not handled by now is lost (or its delivery never got through).
const eventsLost = fired - result.eventsHandled;
process.exit(result.eventsFailed > 0 || eventsLost > 0 || result.staleDeals > 0 ? 1 : 0);
