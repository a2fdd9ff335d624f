/**
 * Plain SQL migrations (./migrations/NNN_name.sql), applied in order in one transaction under an
 * advisory lock, recorded with a checksum in `schema_migrations`. Re-running applies nothing;
 * a migration edited after it was applied is refused.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';
import { tables } from './db.js';
import { StoreError } from './errors.js';
import type { MigrationResult, MigrationStatus } from './types.js';

export interface Migration {
  /** File name without `.sql`, e.g. `001_initial`. */
  name: string;
  /** SQL with `__SCHEMA__` standing for the schema name. */
  sql: string;
  checksum: string;
}

const SCHEMA_TOKEN = /__SCHEMA__/g;

/**
 * The migrations directory next to this module (running from `src/` with tsx), else the source
 * tree's (running from `dist/src/`, since `tsc` copies no .sql files).
 */
function migrationsDir(): string {
  const candidates = [new URL('./migrations/', import.meta.url), new URL('../../../src/store/migrations/', import.meta.url)];
  for (const candidate of candidates) {
    const dir = fileURLToPath(candidate);
    if (existsSync(dir)) return dir;
  }
  throw new StoreError(
    'STORE.MIGRATION',
    `no migrations directory found (looked in ${candidates.map((c) => fileURLToPath(c)).join(', ')})`,
  );
}

/** Every migration file, ordered by name. */
export function loadMigrations(dir: string = migrationsDir()): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(`${dir}/${file}`, 'utf8');
      return { name: file.slice(0, -'.sql'.length), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * How the recorded migrations (name -> checksum) compare with the files: the one comparison
 * `migrate`, `dealwatch doctor` and `/readyz` share, so that what one refuses the others report.
 */
export function compareMigrations(recorded: ReadonlyMap<string, string>, migrations: readonly Migration[]): MigrationStatus {
  return {
    applied: [...recorded.keys()].sort(),
    pending: migrations.filter((m) => !recorded.has(m.name)).map((m) => m.name),
    edited: migrations.filter((m) => recorded.has(m.name) && recorded.get(m.name) !== m.checksum).map((m) => m.name),
  };
}

/** What is wrong with a status, in the words `migrate` refuses with; null when it is fine to run. */
export function migrationProblem(status: MigrationStatus): string | null {
  if (status.edited.length > 0) {
    return `migration ${status.edited.join(', ')} was edited after it was applied; add a new migration instead`;
  }
  if (status.pending.length > 0) return `pending migrations: ${status.pending.join(', ')}; run dealwatch migrate`;
  return null;
}

async function recordedMigrations(db: Pick<Db, 'query'>, schema: string): Promise<Map<string, string>> {
  const rows = await db.query<{ name: string; checksum: string }>(`SELECT name, checksum FROM ${tables(schema).migrations} ORDER BY name`);
  return new Map(rows.map((row) => [row.name, row.checksum]));
}

/** Applies what is pending. Safe to call from several processes at once: the lock serialises them. */
export async function migrate(db: Db, schema: string, migrations: readonly Migration[] = loadMigrations()): Promise<MigrationResult> {
  const t = tables(schema);
  return db.transaction(async (tx) => {
    // Held until commit; a second process waits here, then finds nothing pending.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`dealwatch:migrate:${schema}`]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${t.migrations} ` +
        '(name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const recorded = await recordedMigrations(tx, schema);
    const before = compareMigrations(recorded, migrations);
    if (before.edited.length > 0) throw new StoreError('STORE.MIGRATION', migrationProblem(before)!);
    const appliedNow: string[] = [];
    for (const migration of migrations.filter((m) => before.pending.includes(m.name))) {
      try {
        await tx.query(migration.sql.replace(SCHEMA_TOKEN, `"${schema}"`));
      } catch (error) {
        throw new StoreError('STORE.MIGRATION', `migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      await tx.query(`INSERT INTO ${t.migrations} (name, checksum) VALUES ($1, $2)`, [migration.name, migration.checksum]);
      recorded.set(migration.name, migration.checksum);
      appliedNow.push(migration.name);
    }
    return { ...compareMigrations(recorded, migrations), appliedNow };
  });
}

/** What is applied and what is pending, without changing anything. */
export async function migrationStatus(
  db: Db,
  schema: string,
  migrations: readonly Migration[] = loadMigrations(),
): Promise<MigrationStatus> {
  const [exists] = await db.query<{ table: string | null }>('SELECT to_regclass($1)::text AS table', [tables(schema).migrations]);
  return compareMigrations(exists?.table ? await recordedMigrations(db, schema) : new Map(), migrations);
}
