/**
 * The store suites run once per backend: embedded PGlite (through pglite-socket and pg) and a real
 * PostgreSQL server (isolated by a unique schema, dropped afterwards).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openStore, type Store } from '../../../src/store/index.js';
import { POSTGRES_URL, postgresAvailable, uniqueName } from '../../support/services.js';

export interface Backend {
  name: string;
  available: boolean;
  /** Opens a fresh, isolated store; `dispose` removes every trace of it. */
  open(): Promise<{ store: Store; dispose(): Promise<void> }>;
}

export const backends: Backend[] = [
  {
    name: 'embedded PGlite',
    available: true,
    async open() {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'dealwatch-store-'));
      const store = await openStore({ dataDir });
      return {
        store,
        async dispose() {
          await store.close();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    available: await postgresAvailable(),
    async open() {
      const schema = uniqueName('dw_test');
      const store = await openStore({ databaseUrl: POSTGRES_URL, schema });
      return {
        store,
        async dispose() {
          await store.close();
          await withClient(POSTGRES_URL, (client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
        },
      };
    },
  },
];

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Every column of every row of a table for one connection, in key order: what "identical rows" means. */
export function dump(store: Store, table: string, connectionId: string): Promise<unknown[]> {
  return withClient(store.databaseUrl, async (client) => {
    const { rows } = await client.query(`SELECT * FROM "${store.schema}"."${table}" WHERE connection_id = $1 ORDER BY 1, 2, 3`, [
      connectionId,
    ]);
    return rows;
  });
}
