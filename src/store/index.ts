/**
 * The store: PostgreSQL through `pg`, on the server named by `databaseUrl` or on an embedded
 * PGlite database served over loopback by pglite-socket. See ./types.ts for the contract.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { poolDb, SCHEMA_NAME, storeTypes, tables } from './db.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.js';
import { StoreError } from './errors.js';
import { migrate, migrationStatus } from './migrator.js';
import { repositories } from './repositories/index.js';
import type { Store } from './types.js';

export type * from './types.js';
export { StoreError } from './errors.js';
export { migrationProblem } from './migrator.js';

export interface OpenStoreOptions {
  /** PostgreSQL server URL (`DATABASE_URL`, resolved by the config). Unset: embedded PGlite under `dataDir`. */
  databaseUrl?: string | undefined;
  /** Directory of the embedded database (`<dataDir>/db`). @defaultValue "./.dealwatch" */
  dataDir?: string | undefined;
  /**
   * Schema holding the tables; created if missing. Tests pass a unique one for isolation.
   * @defaultValue "dealwatch"
   */
  schema?: string | undefined;
  /** Apply pending migrations on open. @defaultValue true */
  migrate?: boolean | undefined;
  /**
   * Pool size. PGlite runs one query at a time whatever the pool, so the embedded default is small.
   * @defaultValue 10 (server), 4 (embedded)
   */
  poolSize?: number | undefined;
  logger?: Logger | undefined;
}

export const DEFAULT_SCHEMA = 'dealwatch';

/** Opens (and by default migrates) the store. Close it with `store.close()`. */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) throw new StoreError('STORE.UNAVAILABLE', `invalid schema name "${schema}"`);
  const logger = options.logger?.child({ module: 'store' });

  const embedded: EmbeddedPostgres | null = options.databaseUrl
    ? null
    : await startEmbeddedPostgres({ dataDir: options.dataDir ?? './.dealwatch', logger });
  const databaseUrl = embedded ? embedded.url : String(options.databaseUrl);

  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? (embedded ? 4 : 10),
    types: storeTypes,
    application_name: 'dealwatch',
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', (error) => logger?.warn({ err: error }, 'idle database connection lost'));

  const db = poolDb(pool);
  const t = tables(schema);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await pool.end();
    await embedded?.close();
  };

  const store: Store = {
    ...repositories(db, t),
    databaseUrl,
    kind: embedded ? 'embedded' : 'postgres',
    schema,
    transaction: (work) => db.transaction((tx) => work(repositories(tx, t))),
    migrate: () => migrate(db, schema),
    migrationStatus: () => migrationStatus(db, schema),
    async ping() {
      try {
        await pool.query('SELECT 1');
      } catch (error) {
        throw new StoreError('STORE.UNAVAILABLE', `database ${describeUrl(databaseUrl)} does not answer: ${(error as Error).message}`, {
          cause: error,
        });
      }
    },
    async installId() {
      const rows = await db.query<{ id: string }>(`SELECT id FROM "${schema}"."install"`).catch((error: unknown) => {
        throw new StoreError(
          'STORE.UNAVAILABLE',
          `database ${describeUrl(databaseUrl)} has no install id (run \`dealwatch migrate\`): ${(error as Error).message}`,
          { cause: error },
        );
      });
      if (!rows[0])
        throw new StoreError('STORE.UNAVAILABLE', `database ${describeUrl(databaseUrl)} has no install id (run \`dealwatch migrate\`)`);
      return rows[0].id;
    },
    close,
  };

  try {
    await store.ping();
    if (options.migrate !== false) {
      const status = await store.migrate();
      logger?.debug({ schema, applied: status.applied.length }, 'migrations current');
    }
  } catch (error) {
    await close();
    throw error;
  }
  return store;
}

/** host:port/database, never the credentials. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}
