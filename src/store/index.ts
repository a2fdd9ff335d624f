/**
 * The store: PostgreSQL through `pg`, on the server named by `DATABASE_URL` or on an embedded
 * PGlite database served over loopback by pglite-socket. See ./types.ts for the contract.
 */
import type { Logger } from 'pino';
import { StoreError } from './errors.js';
import type { Store } from './types.js';

export type * from './types.js';
export { StoreError } from './errors.js';

export interface OpenStoreOptions {
  /** PostgreSQL server URL. Unset: embedded PGlite under `dataDir`. @defaultValue `DATABASE_URL` */
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
  logger?: Logger | undefined;
}

/** Opens (and by default migrates) the store. Close it with `store.close()`. */
export async function openStore(_options: OpenStoreOptions = {}): Promise<Store> {
  throw new StoreError('STORE.UNAVAILABLE', 'the store is not implemented yet');
}
