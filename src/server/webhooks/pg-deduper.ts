/**
 * Webhook dedupe keys in the store's PostgreSQL database, for deployments without Redis. One row
 * per key with its expiry; a claim inserts every key of an event in one statement and succeeds
 * only when none was live (expired rows are taken over).
 */
import pg from 'pg';
import type { Deduper } from '../ports.js';
import { DEDUPE_TTL_MS } from './redis-deduper.js';

export interface PgDeduper extends Deduper {
  close(): Promise<void>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * @param databaseUrl the store's database (`store.databaseUrl`)
 * @param schema the store's schema; the table is `<schema>.webhook_dedupe`
 */
export async function createPgDeduper(databaseUrl: string, schema: string, options: { ttlMs?: number } = {}): Promise<PgDeduper> {
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  const table = `"${schema}".webhook_dedupe`;
  const ttlSeconds = Math.ceil((options.ttlMs ?? DEDUPE_TTL_MS) / 1000);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  pool.on('error', () => undefined);
  // Created here, idempotently: the table belongs to the server's webhook intake, not to the synced data.
  await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (key text PRIMARY KEY, expires_at timestamptz NOT NULL)`);
  let claims = 0;
  return {
    async claim(keys) {
      if (keys.length === 0) return true;
      // Inserts all keys unless one is live; an expired row is overwritten. Concurrent claims of
      // one key: the primary key lets exactly one insert it.
      const { rows } = await pool.query<{ n: string }>(
        `WITH live AS (SELECT 1 FROM ${table} WHERE key = ANY($1::text[]) AND expires_at > now()),
              ins AS (
                INSERT INTO ${table} (key, expires_at)
                SELECT k, now() + make_interval(secs => $2) FROM unnest($1::text[]) AS k
                WHERE NOT EXISTS (SELECT 1 FROM live)
                ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE ${table}.expires_at <= now()
                RETURNING 1)
         SELECT count(*)::text AS n FROM ins`,
        [keys, ttlSeconds],
      );
      claims += 1;
      if (claims % 1000 === 0) void pool.query(`DELETE FROM ${table} WHERE expires_at <= now()`).catch(() => undefined);
      return Number(rows[0]?.n ?? 0) === keys.length;
    },
    async release(keys) {
      if (keys.length > 0) await pool.query(`DELETE FROM ${table} WHERE key = ANY($1::text[])`, [keys]);
    },
    close: () => pool.end(),
  };
}
