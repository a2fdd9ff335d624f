/**
 * The thin layer between repositories and `pg`: a query function bound to a pool or to the client
 * of an open transaction, with result types that match the canonical model (instants as ISO
 * strings, dates as `YYYY-MM-DD`, numerics as numbers).
 */
import pg from 'pg';

type Parser = (value: string) => unknown;

const OID = { int8: 20, numeric: 1700, date: 1082, timestamptz: 1184 } as const;
const parseTimestamptz = pg.types.getTypeParser(OID.timestamptz) as (value: string) => Date;

/** Per-pool type parsers (never the global `pg.types`, which other code may rely on). */
export const storeTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    switch (oid) {
      case OID.date:
        return ((value: string) => value) satisfies Parser;
      case OID.timestamptz:
        return ((value: string) => parseTimestamptz(value).toISOString()) satisfies Parser;
      case OID.numeric:
      case OID.int8:
        return ((value: string) => Number(value)) satisfies Parser;
      default:
        return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid);
    }
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export type Row = Record<string, unknown>;

/** What a repository needs of the database: queries, and transactions. */
export interface Db {
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs `work` in a transaction; inside one already, runs it in the same transaction. */
  transaction<T>(work: (db: Db) => Promise<T>): Promise<T>;
}

export function poolDb(pool: pg.Pool): Db {
  return {
    async query<R extends Row>(sql: string, params: readonly unknown[] = []) {
      return (await pool.query<R>(sql, params as unknown[])).rows;
    },
    async transaction<T>(work: (db: Db) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(clientDb(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
  };
}

function clientDb(client: pg.PoolClient): Db {
  const db: Db = {
    async query<R extends Row>(sql: string, params: readonly unknown[] = []) {
      return (await client.query<R>(sql, params as unknown[])).rows;
    },
    transaction: (work) => work(db),
  };
  return db;
}

/** Schema names are interpolated into SQL, so only plain identifiers are accepted. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Quoted, schema-qualified table names: every statement names its schema (no search_path). */
export function tables(schema: string) {
  const t = (name: string) => `"${schema}"."${name}"`;
  return {
    migrations: t('schema_migrations'),
    connections: t('connections'),
    connectionState: t('connection_state'),
    owners: t('owners'),
    stages: t('stages'),
    deals: t('deals'),
    activities: t('activities'),
    activityDeals: t('activity_deals'),
    stageChanges: t('stage_changes'),
    fieldChanges: t('field_changes'),
    snapshots: t('deal_snapshots'),
    cursors: t('sync_cursors'),
    syncRuns: t('sync_runs'),
    scores: t('deal_scores'),
    findings: t('findings'),
    warningRecords: t('warning_records'),
    digestSends: t('digest_sends'),
  };
}
export type Tables = ReturnType<typeof tables>;

/** Keeps the last record per key: one statement may not upsert the same row twice. */
export function lastPerKey<T>(records: readonly T[], key: (record: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const record of records) byKey.set(key(record), record);
  return [...byKey.values()];
}

/** A column of a page written through `jsonb_to_recordset`: its name and PostgreSQL type. */
export interface Column {
  name: string;
  type: string;
}

/**
 * One statement that upserts a whole page passed as a single jsonb parameter ($2; $1 is the
 * connection id). Rows whose `content_hash` matches are not touched (no `updated_at` bump), unless
 * `changedWhen` says otherwise. Returns each written row's key and whether it was inserted.
 */
export function pageUpsertSql(options: {
  table: string;
  /** Conflict key after connection_id. */
  key: readonly string[];
  columns: readonly Column[];
  /** Extra SET assignments on update, e.g. `updated_at = now()`. */
  onUpdate?: readonly string[];
  /** Condition (on `t` = stored row, `EXCLUDED` = new) under which a conflicting row is updated. */
  changedWhen?: string;
  returning: string;
}): string {
  const names = options.columns.map((column) => column.name);
  const recordType = options.columns.map((column) => `${column.name} ${column.type}`).join(', ');
  const updates = names
    .filter((name) => !options.key.includes(name))
    .map((name) => `${name} = EXCLUDED.${name}`)
    .concat(options.onUpdate ?? []);
  return `
    INSERT INTO ${options.table} AS t (connection_id, ${names.join(', ')})
    SELECT $1, ${names.map((name) => `r.${name}`).join(', ')}
    FROM jsonb_to_recordset($2::jsonb) AS r(${recordType})
    ON CONFLICT (connection_id, ${options.key.join(', ')}) DO UPDATE SET ${updates.join(', ')}
    WHERE ${options.changedWhen ?? 't.content_hash <> EXCLUDED.content_hash'}
    RETURNING ${options.returning}, (t.xmax = 0) AS inserted`;
}

/** Folds the rows a page upsert returned into an `UpsertResult`. */
export function upsertResult(sent: number, written: readonly { id: string; inserted: boolean }[]) {
  const inserted = written.filter((row) => row.inserted).length;
  return {
    inserted,
    updated: written.length - inserted,
    unchanged: sent - written.length,
    changedIds: written.map((row) => row.id),
  };
}

/** Records of a page must belong to the connection the page is written for. */
export function assertConnection(connectionId: string, records: readonly { connectionId: string }[]): void {
  const stray = records.find((record) => record.connectionId !== connectionId);
  if (stray !== undefined) {
    throw new Error(`record of connection ${stray.connectionId} written to connection ${connectionId}`);
  }
}
