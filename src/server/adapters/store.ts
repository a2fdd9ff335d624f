/** `/readyz` checks of the store: the database answers, and no migration is pending. */
import type { ReadinessCheck, ServerStore } from '../ports.js';

export function storeReadiness(store: Pick<ServerStore, 'ping' | 'migrationStatus'>): ReadinessCheck[] {
  return [
    { name: 'database', check: () => store.ping() },
    {
      name: 'migrations',
      async check() {
        const status = await store.migrationStatus();
        if (status.pending.length > 0) throw new Error(`pending migrations: ${status.pending.join(', ')} (run dealwatch migrate)`);
      },
    },
  ];
}
