/**
 * Sandbox book generation at scale: 100,000 deals with about 1,000,000 activities (one provider),
 * plus the indexes the server builds over them. Goal: under 60 s and under 2 GiB.
 * Prints one JSON line. Run: `npm run bench -- sandbox-generate`.
 */
import { BookStore } from '../../src/sandbox/book-store.js';
import { SandboxClock } from '../../src/sandbox/clock.js';
import { generateBook } from '../../src/sandbox/generator/generate.js';

const deals = Number(process.argv[2] ?? 100_000);
const now = new Date('2026-11-26T12:00:00Z');
const started = performance.now();
const book = generateBook({ provider: 'salesforce', seed: 1, deals, now });
const generatedMs = performance.now() - started;
const store = new BookStore(book, new SandboxClock(now));
const totalMs = performance.now() - started;
const memory = process.memoryUsage();
const peakRssBytes = process.resourceUsage().maxRSS * 1024;

const result = {
  bench: 'sandbox-generate',
  deals: book.deals.length,
  activities: book.activities.length,
  stageHistoryRows: book.stageHistory.length,
  fieldHistoryRows: book.fieldHistory.length,
  generateSeconds: Number((generatedMs / 1000).toFixed(2)),
  generateAndIndexSeconds: Number((totalMs / 1000).toFixed(2)),
  peakRssMiB: Math.round(peakRssBytes / 2 ** 20),
  heapUsedMiB: Math.round(memory.heapUsed / 2 ** 20),
  goal: { seconds: 60, rssMiB: 2048 },
  ok: totalMs < 60_000 && peakRssBytes < 2 * 2 ** 30 && book.activities.length >= 900_000,
  openDeals: Object.keys(book.planted.deals).length,
  lookup: store.dealIndex(book.deals[deals - 1]!.id) === deals - 1,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
