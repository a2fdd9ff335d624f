/** The PostgreSQL webhook deduper (queues on BullMQ's PostgreSQL backend, no Redis). */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDeduper, type PgDeduper } from '../../../src/server/webhooks/pg-deduper.js';
import { POSTGRES_URL, postgresAvailable, uniqueName } from '../../support/services.js';

const ok = await postgresAvailable();

describe.skipIf(!ok)('createPgDeduper', () => {
  const schema = uniqueName('dw_dedupe');
  let dedupe: PgDeduper;
  let shortLived: PgDeduper;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    dedupe = await createPgDeduper(POSTGRES_URL, schema);
    shortLived = await createPgDeduper(POSTGRES_URL, schema, { ttlMs: 1_000 });
  });
  afterAll(async () => {
    await dedupe?.close();
    await shortLived?.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('claims new keys once', async () => {
    expect(await dedupe.claim(['a:1', 'a:2'])).toBe(true);
    expect(await dedupe.claim(['a:1', 'a:2'])).toBe(false);
  });

  it('refuses an event sharing one key, without setting its other key', async () => {
    expect(await dedupe.claim(['b:1'])).toBe(true);
    expect(await dedupe.claim(['b:1', 'b:2'])).toBe(false);
    expect(await dedupe.claim(['b:2'])).toBe(true);
  });

  it('accepts released keys again', async () => {
    expect(await dedupe.claim(['c:1'])).toBe(true);
    await dedupe.release(['c:1']);
    expect(await dedupe.claim(['c:1'])).toBe(true);
  });

  it('lets exactly one of many concurrent claims of one key win', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => dedupe.claim(['d:1', 'd:2'])));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('takes expired keys over', async () => {
    expect(await shortLived.claim(['e:1'])).toBe(true);
    expect(await shortLived.claim(['e:1'])).toBe(false);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await shortLived.claim(['e:1'])).toBe(true);
  });
});
