/**
 * Store benchmark: page upserts of a nightly sync's size on the embedded PGlite (through
 * pglite-socket and pg) and on PostgreSQL (127.0.0.1:5432, unique schema, dropped afterwards).
 *
 *   npx tsx test/bench/store.ts [deals=20000] [activities=200000]
 *
 * Writes deals in pages of 200 and activities (1-2 deal links each) in pages of 1,000, then re-sends
 * every deal page unchanged (the content-hash path a re-run of a sync takes), then loads every open
 * deal and lists them all through keyset pagination. Prints one JSON line per backend.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/index.js';
import { POSTGRES_URL, postgresAvailable, uniqueName } from '../support/services.js';
import { activity, deal } from '../integration/store/builders.js';

const dealCount = Number(process.argv[2] ?? 20_000);
const activityCount = Number(process.argv[3] ?? 200_000);
const DEAL_PAGE = 200;
const ACTIVITY_PAGE = 1000;
const c = 'bench';

function pages<T>(count: number, size: number, make: (i: number) => T): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < count; start += size) {
    out.push(Array.from({ length: Math.min(size, count - start) }, (_, k) => make(start + k)));
  }
  return out;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: Math.round(performance.now() - started), result };
}

async function measure(backend: string, store: Store): Promise<Record<string, unknown>> {
  const dealPages = pages(dealCount, DEAL_PAGE, (i) => deal(c, `d${i}`, { name: `Deal ${i % 997}`, amount: i }));
  const activityPages = pages(activityCount, ACTIVITY_PAGE, (i) =>
    activity(c, `a${i}`, i % 3 === 0 ? [`d${i % dealCount}`, `d${(i * 7) % dealCount}`] : [`d${i % dealCount}`]),
  );
  const insertDeals = await timed(async () => {
    for (const page of dealPages) await store.deals.upsertPage(c, page);
  });
  const insertActivities = await timed(async () => {
    for (const page of activityPages) await store.activities.upsertPage(c, page);
  });
  const resendDeals = await timed(async () => {
    let unchanged = 0;
    for (const page of dealPages) unchanged += (await store.deals.upsertPage(c, page)).unchanged;
    return unchanged;
  });
  const loadOpen = await timed(() => store.deals.loadOpen(c));
  const listAll = await timed(async () => {
    let cursor: string | null = null;
    let seen = 0;
    do {
      const page = await store.deals.list(c, { limit: 500, cursor });
      seen += page.items.length;
      cursor = page.nextCursor;
    } while (cursor !== null);
    return seen;
  });
  const rate = (rows: number, ms: number) => Math.round((rows * 1000) / Math.max(ms, 1));
  return {
    bench: 'store',
    backend,
    deals: dealCount,
    activities: activityCount,
    insertDealsMs: insertDeals.ms,
    insertDealsPerSec: rate(dealCount, insertDeals.ms),
    insertActivitiesMs: insertActivities.ms,
    insertActivitiesPerSec: rate(activityCount, insertActivities.ms),
    resendUnchangedDealsMs: resendDeals.ms,
    resendUnchanged: resendDeals.result,
    loadOpenDealsMs: loadOpen.ms,
    listAllDealsKeysetMs: listAll.ms,
    listed: listAll.result,
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'dealwatch-bench-store-'));
const embedded = await openStore({ dataDir });
try {
  console.log(JSON.stringify(await measure('embedded PGlite', embedded)));
} finally {
  await embedded.close();
  rmSync(dataDir, { recursive: true, force: true });
}

if (await postgresAvailable()) {
  const schema = uniqueName('dw_bench');
  const server = await openStore({ databaseUrl: POSTGRES_URL, schema });
  try {
    console.log(JSON.stringify(await measure('PostgreSQL', server)));
  } finally {
    await server.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}
