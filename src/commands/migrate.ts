/** `dealwatch migrate`: applies pending migrations and says what it did. */
import { commandLogger, configFrom, storeFrom } from './support.js';
import type { MigrateOptions } from './types.js';

export async function run(options: MigrateOptions): Promise<number> {
  const config = configFrom(options);
  const store = await storeFrom(config, commandLogger(config), { migrate: false });
  try {
    const before = await store.migrationStatus();
    const after = await store.migrate();
    const where = `${store.kind === 'embedded' ? 'embedded database' : 'database'}, schema ${store.schema}`;
    process.stdout.write(
      before.pending.length > 0
        ? `applied ${before.pending.join(', ')} (${where})\n`
        : `migrations current: ${after.applied.length} applied, none pending (${where})\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
