/** `/readyz` checks of the store: the database answers, and its migrations are those `migrate` would accept, all applied. */
import { migrationProblem } from '../../store/index.js';
import type { ReadinessCheck, ServerStore } from '../ports.js';

export function storeReadiness(store: Pick<ServerStore, 'ping' | 'migrationStatus'>): ReadinessCheck[] {
  return [
    { name: 'database', check: () => store.ping() },
    {
      name: 'migrations',
      async check() {
        const problem = migrationProblem(await store.migrationStatus());
        if (problem !== null) throw new Error(problem);
      },
    },
  ];
}
