/** The manager API on a seeded store (PostgreSQL, unique schema) and real queues, for the suites that probe it. */
import pg from 'pg';
import { openStore, type Store } from '../../../../src/store/index.js';
import { createReviewService } from '../../../../src/server/review-service.js';
import { POSTGRES_URL, uniqueName } from '../../../support/services.js';
import { buildTestApp, directoryOf, hubspotConnection, salesforceConnection, type TestApp, type TestAppOptions } from './app.js';
import { seedStore, type Seeded } from './seed.js';

export interface SeededApi {
  t: TestApp;
  store: Store;
  seeded: Seeded;
  /** Schema of this suite's tables (to fingerprint what the store holds). */
  schema: string;
  close(): Promise<void>;
}

export async function openSeededApi(options: Omit<TestAppOptions, 'store' | 'reviews'> = {}): Promise<SeededApi> {
  const schema = uniqueName('dw_api');
  const store = await openStore({ databaseUrl: POSTGRES_URL, schema });
  const connections = [hubspotConnection, salesforceConnection];
  const seeded = await seedStore(store, hubspotConnection.id, connections);
  await store.snapshots.take(hubspotConnection.id, '2026-11-19');
  await store.snapshots.take(hubspotConnection.id, '2026-11-26');
  const t = await buildTestApp({
    ...options,
    store,
    reviews: createReviewService({ store, connections: directoryOf(connections) }),
    clock: options.clock ?? (() => new Date('2026-11-26T09:00:00.000Z')),
  });
  return {
    t,
    store,
    seeded,
    schema,
    async close() {
      await t.close();
      await store.close();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}
