import { describe, expect, it } from 'vitest';
import { loadMigrations } from '../../../src/store/migrator.js';

describe('migration files', () => {
  const migrations = loadMigrations();

  it('are numbered, ordered and checksummed', () => {
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.map((m) => m.name)).toEqual([...migrations.map((m) => m.name)].sort());
    migrations.forEach((migration, index) => {
      expect(migration.name).toMatch(/^\d{3}_[a-z0-9_]+$/);
      expect(Number(migration.name.slice(0, 3))).toBe(index + 1);
      expect(migration.checksum).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  it('name the schema in every statement (embedded PGlite has one session: no search_path)', () => {
    for (const migration of migrations) {
      const sql = migration.sql.replace(/--.*$/gm, '');
      const objects = [
        ...sql.matchAll(/\b(?:CREATE (?:UNIQUE )?(?:TABLE|INDEX \w+ ON)|ALTER TABLE|REFERENCES|INSERT INTO|UPDATE|DELETE FROM)\s+(\S+)/gi),
      ];
      expect(objects.length, migration.name).toBeGreaterThan(0);
      for (const [statement, target] of objects) expect(target, `${migration.name}: ${statement}`).toMatch(/^__SCHEMA__\./);
      expect(sql, migration.name).not.toMatch(/search_path/i);
    }
  });
});
