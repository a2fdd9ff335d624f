/**
 * Real Redis and PostgreSQL for integration suites. On a laptop without them a suite is skipped
 * loudly; with DEALWATCH_REQUIRE_SERVICES=1 (set by .ci/run) a missing service fails the run instead.
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const required = process.env.DEALWATCH_REQUIRE_SERVICES === '1';

function probe(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function available(name: string, url: string): Promise<boolean> {
  const u = new URL(url);
  const ok = await probe(u.hostname, Number(u.port || (u.protocol.startsWith('redis') ? 6379 : 5432)));
  if (!ok) {
    if (required) throw new Error(`${name} is required (DEALWATCH_REQUIRE_SERVICES=1) but ${u.host} does not answer`);
    // Loud on purpose: a skipped suite must never look like a passed one.
    console.warn(`\n*** SKIPPED: ${name} at ${u.host} is not reachable; suites that need it were skipped ***\n`);
  }
  return ok;
}

/** True when Redis answers; throws under DEALWATCH_REQUIRE_SERVICES=1 when it does not. */
export const redisAvailable = (): Promise<boolean> => available('Redis', REDIS_URL);
/** True when PostgreSQL answers; throws under DEALWATCH_REQUIRE_SERVICES=1 when it does not. */
export const postgresAvailable = (): Promise<boolean> => available('PostgreSQL', POSTGRES_URL);

/** A name unique to this test run, for queue prefixes, schemas and databases. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** Deletes every key under `prefix` on the shared Redis (SCAN, never FLUSHALL): what a bench's run left behind. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
