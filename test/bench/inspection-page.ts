/**
 * Inspection page benchmark: the web app's open-deals table for a connection with 10,000 open
 * deals (scored, a fifth with open findings), on PostgreSQL (127.0.0.1:5432, unique schema,
 * dropped afterwards) behind the real server on a socket, signed in with a session cookie.
 *
 *   npx tsx test/bench/inspection-page.ts [deals=10000] [rounds=15]
 *
 * Times whole HTTP answers (first byte to last) for the first page, filtered pages (owner, team,
 * band, rule, close period, key account), each sort order, and a page ten cursors deep.
 * Prints one JSON line; goal: every p95 < 1,000 ms.
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { HubSpotConnection } from '../../src/domain/model/index.js';
import { openStore } from '../../src/store/index.js';
import { createReviewService } from '../../src/server/review-service.js';
import { POSTGRES_URL, postgresAvailable, redisAvailable, uniqueName } from '../support/services.js';
import { buildTestApp, directoryOf } from '../integration/server/support/app.js';
import { deal, finding, owner, score, stages } from '../integration/store/builders.js';

const dealCount = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 15);
const TOKEN = 'bench-token-0123456789';
const c = 'bench';

if (!(await postgresAvailable()) || !(await redisAvailable())) {
  console.error('inspection-page bench needs PostgreSQL and Redis on loopback');
  process.exit(1);
}

const connection = HubSpotConnection.parse({
  id: c,
  provider: 'hubspot',
  accessToken: 'pat-bench',
  portalId: 1234,
  teams: { east: ['o0', 'o1', 'o2'], west: ['o3', 'o4'] },
});
const schema = uniqueName('dw_bench_pages');
const store = await openStore({ databaseUrl: POSTGRES_URL, schema });
const loadAverageBefore = loadavg().map((x) => Math.round(x * 10) / 10);
let app: Awaited<ReturnType<typeof buildTestApp>> | undefined;
try {
  await store.connections.upsertFromConfig([connection]);
  await store.owners.upsertMany(
    c,
    Array.from({ length: 12 }, (_, i) => owner(c, `o${i}`, { name: `Rep ${i}` })),
  );
  const stageList = stages(c);
  await store.stages.replace(c, stageList);
  const openStages = stageList.filter((s) => !s.isClosed).map((s) => s.id);
  const bands = ['healthy', 'at_risk', 'critical'] as const;
  for (let start = 0; start < dealCount; start += 500) {
    const page = Array.from({ length: Math.min(500, dealCount - start) }, (_, k) => {
      const i = start + k;
      return deal(c, `d${i}`, {
        name: `Account ${i % 1_499} - Deal ${i}`,
        ownerId: `o${i % 12}`,
        stageId: openStages[i % openStages.length]!,
        amount: (i * 7_919) % 250_000,
        closeDate: `2026-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
        accountIsTarget: i % 10 === 0 ? true : null,
      });
    });
    await store.deals.upsertPage(c, page);
    await store.scores.upsertMany(
      c,
      page.map((d, k) => score(c, d.externalId, (start + k) % 101, bands[(start + k) % 3]!)),
      '2026-11-20T00:00:00Z',
    );
    const flagged = page.filter((_, k) => (start + k) % 5 === 0);
    await store.findings.applyDiff(
      c,
      {
        opened: flagged.map((d) => ({
          finding: finding(c, d.externalId, 'stale_deal'),
          annotationKey: `${c}:${d.externalId}:stale_deal:1`,
        })),
        stillOpen: [],
        resolved: [],
      },
      '2026-11-20T00:00:00Z',
    );
  }
  const counts = await store.deals.count(c);
  const connections = directoryOf([connection]);
  app = await buildTestApp({
    connections: [connection],
    store,
    reviews: createReviewService({ store, connections }),
    options: { apiTokens: [TOKEN], publicUrl: 'http://127.0.0.1' },
    clock: () => new Date('2026-06-15T09:00:00Z'),
  });
  const base = await app.app.listen({ host: '127.0.0.1', port: 0 });

  // Sign in as a browser does: the form's CSRF token, then the session cookie.
  const cookieOf = (res: Response) => /dealwatch_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
  const loginPage = await fetch(`${base}/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1]!;
  const signedIn = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `dealwatch_session=${cookieOf(loginPage)}` },
    body: new URLSearchParams({ token: TOKEN, _csrf: csrf }).toString(),
  });
  if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}`);
  const cookie = `dealwatch_session=${cookieOf(signedIn)}`;

  const get = async (url: string): Promise<{ ms: number; body: string }> => {
    const started = performance.now();
    const res = await fetch(`${base}${url}`, { headers: { cookie } });
    const body = await res.text();
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 300)}`);
    return { ms, body };
  };
  const path = `/connections/${c}/deals`;
  // ten pages in, by following the pages' own next links
  let deep = path;
  for (let k = 0; k < 10; k++) deep = /href="([^"]+)" rel="next"/.exec((await get(deep)).body)![1]!.replaceAll('&amp;', '&');

  const cases: Record<string, string> = {
    firstPage: path,
    ownerAndBand: `${path}?owner=o3&band=critical`,
    teamAndRule: `${path}?team=east&rule=stale_deal`,
    closePeriodKeyAccount: `${path}?close=this_quarter&key=yes`,
    sortAmountDesc: `${path}?sort=amount&dir=desc`,
    sortScoreAsc: `${path}?sort=score&dir=asc`,
    sortCloseDate: `${path}?sort=closeDate&dir=asc`,
    tenPagesDeep: deep,
  };
  for (const url of Object.values(cases)) await get(url); // warm-up
  const results: Record<string, { p50: number; p95: number; max: number }> = {};
  for (const [name, url] of Object.entries(cases)) {
    const times: number[] = [];
    for (let r = 0; r < rounds; r++) times.push((await get(url)).ms);
    times.sort((a, b) => a - b);
    const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]!);
    results[name] = { p50: at(0.5), p95: at(0.95), max: Math.round(times.at(-1)!) };
  }
  console.log(
    JSON.stringify({
      bench: 'inspection-page',
      openDeals: counts.open,
      rounds,
      pageSize: 50,
      ms: results,
      worstP95: Math.max(...Object.values(results).map((r) => r.p95)),
      goalMs: 1_000,
      loadAverage: { before: loadAverageBefore, after: loadavg().map((x) => Math.round(x * 10) / 10) },
    }),
  );
} finally {
  await app?.close();
  await store.close();
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}
