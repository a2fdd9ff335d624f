/**
 * The three places the queues can live in tests: real Redis, real PostgreSQL, and BullMQ's
 * PostgreSQL backend on an in-memory PGlite served over loopback by pglite-socket (the embedded mode).
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { POSTGRES_URL, REDIS_URL, postgresAvailable, redisAvailable } from '../../support/services.js';
import type { QueueBackendSpec } from '../../../src/queue/index.js';
import { keepProtocolGroupsTogether } from '../../../src/store/pglite-protocol.js';

export interface BackendFixture {
  name: 'redis' | 'postgres' | 'pglite';
  available: boolean;
  /** Starts what the backend needs (PGlite) and returns its spec. */
  start(): Promise<{ spec: QueueBackendSpec; stop(): Promise<void> }>;
}

/** An in-memory PGlite on a random loopback port, as the embedded store serves it. */
export async function startPglite(): Promise<{ url: string; db: PGlite; stop(): Promise<void> }> {
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 200 });
  keepProtocolGroupsTogether(server);
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    db,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

const redisOk = await redisAvailable();
const postgresOk = await postgresAvailable();

export const BACKENDS: BackendFixture[] = [
  {
    name: 'redis',
    available: redisOk,
    start: async () => ({ spec: { kind: 'redis', url: REDIS_URL }, stop: async () => undefined }),
  },
  {
    name: 'postgres',
    available: postgresOk,
    start: async () => ({ spec: { kind: 'postgres', url: POSTGRES_URL }, stop: async () => undefined }),
  },
  {
    name: 'pglite',
    available: true,
    start: async () => {
      const pglite = await startPglite();
      return { spec: { kind: 'postgres', url: pglite.url }, stop: pglite.stop };
    },
  },
];

/** A logger that keeps quiet but remembers what was said. */
export function quietLogger() {
  const lines: { level: string; obj: object; msg?: string | undefined }[] = [];
  const log = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  const logger = { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}
