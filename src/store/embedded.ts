/**
 * Embedded PostgreSQL: PGlite persisted in `<dataDir>/db`, served on a loopback port by
 * pglite-socket so that `pg` (and BullMQ's PostgreSQL backend) use it like any server.
 *
 * PGlite is one PostgreSQL session. pglite-socket 0.2.17 accepts `maxConnections` sockets
 * (default 1; we allow 64) and runs their messages one at a time through a shared queue (kept in
 * whole protocol groups by ./pglite-protocol.ts); while a transaction
 * is open it serves only the connection that opened it. So several connections work (concurrent
 * large pages from four pool connections are tested in test/integration/store/embedded.test.ts), but:
 * - session state (SET, search_path, temp tables, prepared statement names) is shared by all, so
 *   nothing here relies on it (every statement names its schema);
 * - a connection that holds a transaction open while waiting on another connection deadlocks.
 *
 * Only one process may open the data directory. The owner writes `<dataDir>/db.owner.json` (its
 * pid and URL); another dealwatch process on the same directory (`dealwatch sync` beside a running
 * `dealwatch start`) connects to that URL instead of opening the files.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from 'pino';
import { StoreError } from './errors.js';
import { keepProtocolGroupsTogether } from './pglite-protocol.js';

export interface EmbeddedPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  /** True when this process opened the files; false when it joined another process's server. */
  owner: boolean;
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** Socket connections accepted at once (pools of this and other processes, BullMQ: the queues open ~20). @defaultValue 64 */
  maxConnections?: number | undefined;
  logger?: Logger | undefined;
}

interface OwnerRecord {
  pid: number;
  url: string | null;
}

const JOIN_TIMEOUT_MS = 30_000;

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const ownerFile = path.join(dataDir, 'db.owner.json');
  const deadline = Date.now() + JOIN_TIMEOUT_MS;

  while (Date.now() < deadline) {
    if (claim(ownerFile)) {
      try {
        return await serve(dataDir, ownerFile, options);
      } catch (error) {
        rmSync(ownerFile, { force: true });
        throw new StoreError('STORE.UNAVAILABLE', `cannot start the embedded database in ${dataDir}: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    const record = readOwner(ownerFile);
    if (record === null || !isAlive(record.pid)) {
      // A crashed owner left its file behind; the files themselves are safe to reopen.
      rmSync(ownerFile, { force: true });
      continue;
    }
    if (record.url !== null && (await answers(record.url))) {
      options.logger?.debug({ pid: record.pid }, 'using the embedded database served by another dealwatch process');
      return { url: record.url, owner: false, close: async () => undefined };
    }
    await sleep(200);
  }
  throw new StoreError('STORE.UNAVAILABLE', `the embedded database in ${dataDir} is held by another process that does not answer`);
}

async function serve(dataDir: string, ownerFile: string, options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(path.join(dataDir, 'db'));
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: options.maxConnections ?? 64 });
  // pglite-socket 0.2.17 interleaves the extended-protocol messages of concurrent connections
  // (another connection's Parse between this one's Parse and Bind) and stalls its queue after an
  // error; without this fix the store's pool and the queues cannot share the database.
  keepProtocolGroupsTogether(server);
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, url } satisfies OwnerRecord));
  options.logger?.debug({ dataDir }, 'embedded database started');
  let closed = false;
  return {
    url,
    owner: true,
    async close() {
      if (closed) return;
      closed = true;
      await server.stop();
      await db.close();
      rmSync(ownerFile, { force: true });
    },
  };
}

/** Creates the owner file exclusively; false when another process has it. */
function claim(ownerFile: string): boolean {
  try {
    const fd = openSync(ownerFile, 'wx');
    writeFileSync(fd, JSON.stringify({ pid: process.pid, url: null } satisfies OwnerRecord));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readOwner(ownerFile: string): OwnerRecord | null {
  try {
    return JSON.parse(readFileSync(ownerFile, 'utf8')) as OwnerRecord;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
