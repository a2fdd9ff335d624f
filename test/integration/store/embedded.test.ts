import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.js';
import { deal } from './builders.js';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dealwatch-embedded-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// Each test starts PGlite at least once (a fresh directory runs initdb): seconds on an idle
// machine, much more on a busy one.
const SLOW = { timeout: 180_000 };

describe('the embedded database', () => {
  it('persists across restarts', SLOW, async () => {
    const dataDir = freshDir();
    const first = await openStore({ dataDir });
    await first.deals.upsertPage('c', [deal('c', 'kept')]);
    await first.close();
    expect(existsSync(path.join(dataDir, 'db.owner.json'))).toBe(false);

    const second = await openStore({ dataDir });
    try {
      expect(await second.deals.get('c', 'kept')).toMatchObject({ externalId: 'kept' });
    } finally {
      await second.close();
    }
  });

  it('is shared with a second store on the same directory instead of being opened twice', SLOW, async () => {
    const dataDir = freshDir();
    const owner = await openStore({ dataDir });
    try {
      const joiner = await openStore({ dataDir });
      expect(joiner.databaseUrl).toBe(owner.databaseUrl);
      expect(joiner.kind).toBe('embedded');
      await joiner.deals.upsertPage('c', [deal('c', 'from-joiner')]);
      await joiner.close();
      // Closing the joiner leaves the owner's database running.
      expect(await owner.deals.get('c', 'from-joiner')).not.toBeNull();
      expect(JSON.parse(readFileSync(path.join(dataDir, 'db.owner.json'), 'utf8'))).toMatchObject({
        pid: process.pid,
        url: owner.databaseUrl,
      });
    } finally {
      await owner.close();
    }
  });

  it('takes over from an owner that died without cleaning up', SLOW, async () => {
    const dataDir = freshDir();
    // A pid far above any real one: the process is gone.
    writeFileSync(
      path.join(dataDir, 'db.owner.json'),
      JSON.stringify({ pid: 2 ** 22 + 12345, url: 'postgres://postgres@127.0.0.1:1/postgres' }),
    );
    const store = await openStore({ dataDir });
    try {
      expect(store.databaseUrl).not.toBe('postgres://postgres@127.0.0.1:1/postgres');
      await store.ping();
    } finally {
      await store.close();
    }
  });

  // PGlite is one session; pglite-socket queues the messages of every connection. Large pages
  // (Bind messages split over many TCP reads) written by several connections at once must not
  // mix: this guards the pool size the store uses on PGlite.
  it('keeps concurrent page writes from several connections apart', SLOW, async () => {
    const store = await openStore({ dataDir: freshDir(), poolSize: 4 });
    try {
      const problems: string[] = [];
      await Promise.all(
        ['w0', 'w1', 'w2', 'w3'].map(async (c) => {
          for (let round = 0; round < 4; round++) {
            const page = Array.from({ length: 400 }, (_, i) => deal(c, `d${round}_${i}`, { nextStep: 'x'.repeat(400) }));
            const written = await store.deals.upsertPage(c, page);
            if (written.inserted !== 400) problems.push(`${c} round ${round}: inserted ${written.inserted}`);
            const read = await store.deals.get(c, `d${round}_7`);
            if (read?.connectionId !== c) problems.push(`${c} round ${round}: read ${read?.connectionId ?? 'nothing'}`);
            const { open } = await store.deals.count(c);
            if (open !== (round + 1) * 400) problems.push(`${c} round ${round}: ${open} open`);
          }
        }),
      );
      expect(problems).toEqual([]);
    } finally {
      await store.close();
    }
  });

  // pglite-socket 0.2.17 runs each protocol message as its own turn: without the protocol-group fix
  // (src/store/pglite-protocol.ts) one connection's Parse lands between the other's Parse and Bind
  // ("bind message supplies 2 parameters, but prepared statement "" requires 3"). Large parameters
  // split each Bind over several TCP reads, which is when the other connection gets in between.
  it('keeps the extended-protocol messages of concurrent connections together', SLOW, async () => {
    const store = await openStore({ dataDir: freshDir(), poolSize: 1 });
    const clients = [new pg.Client({ connectionString: store.databaseUrl }), new pg.Client({ connectionString: store.databaseUrl })];
    try {
      await Promise.all(clients.map((c) => c.connect()));
      const [sums, joins] = clients as [pg.Client, pg.Client];
      const problems: string[] = [];
      const ROUNDS = 40;
      const big = 'x'.repeat(200_000);
      await Promise.all([
        (async () => {
          for (let i = 0; i < ROUNDS; i++) {
            const { rows } = await sums.query<{ v: number }>('SELECT $1::int + length($2::text) AS v', [i, big]);
            if (rows[0]?.v !== i + big.length) problems.push(`sum ${i}: ${JSON.stringify(rows)}`);
          }
        })().catch((error: Error) => problems.push(`sums: ${error.message}`)),
        (async () => {
          for (let i = 0; i < ROUNDS; i++) {
            const { rows } = await joins.query<{ v: string }>('SELECT $1::text || $2::text || length($3::text)::text AS v', [
              'a',
              String(i),
              big,
            ]);
            if (rows[0]?.v !== `a${i}${big.length}`) problems.push(`join ${i}: ${JSON.stringify(rows)}`);
          }
        })().catch((error: Error) => problems.push(`joins: ${error.message}`)),
      ]);
      expect(problems).toEqual([]);
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await store.close();
    }
  });
});
