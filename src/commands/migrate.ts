/**
 * `dealwatch migrate`: applies pending migrations and says what it did. Of two processes started
 * together one applies them; the other, waiting on the lock, finds them applied and says so.
 */
import { commandLogger, configFrom, storeFrom } from './support.js';
import type { MigrateOptions } from './types.js';

export async function run(options: MigrateOptions): Promise<number> {
  const config = configFrom(options);
  const store = await storeFrom(config, commandLogger(config), { migrate: false });
  try {
    const before = await store.migrationStatus();
    const after = await store.migrate();
    const where = `${store.kind === 'embedded' ? 'embedded database' : 'database'}, schema ${store.schema}`;
    const byOthers = before.pending.filter((name) => !after.appliedNow.includes(name));
    process.stdout.write(
      after.appliedNow.length > 0
        ? `applied ${after.appliedNow.join(', ')} (${where})\n`
        : byOthers.length > 0
          ? `migrations current: found ${byOthers.join(', ')} applied by another process meanwhile; ` +
            `${after.applied.length} applied, none pending (${where})\n`
          : `migrations current: ${after.applied.length} applied, none pending (${where})\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
