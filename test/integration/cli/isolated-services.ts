/**
 * A PostgreSQL database and a Redis database of their own, for CLI processes, which always use
 * the default schema (`dealwatch`) and queue prefix (`{dealwatch}`): a fresh database on the test
 * server, and (unless `redis: false`) a Redis logical database (10..15) claimed with a lock key and
 * flushed on release.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { POSTGRES_URL, REDIS_URL, uniqueName } from '../../support/services.js';

export interface IsolatedServices {
  databaseUrl: string;
  redisUrl: string;
  release(): Promise<void>;
}

const LOCK = 'dealwatch-test:claimed-by';

export async function isolatedServices(options: { redis?: boolean } = {}): Promise<IsolatedServices> {
  const name = uniqueName('dwcli');
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const databaseUrl = POSTGRES_URL.replace(/\/[^/]*$/, `/${name}`);
  const dropDatabase = async () => {
    const c = new pg.Client({ connectionString: POSTGRES_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.end();
  };
  if (options.redis === false) return { databaseUrl, redisUrl: '', release: dropDatabase };
  let db: number | null = null;
  for (let index = 10; index <= 15 && db === null; index++) {
    const redis = new Redis(`${REDIS_URL}/${index}`, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    if ((await redis.set(LOCK, name, 'EX', 1800, 'NX')) === 'OK') db = index;
    await redis.quit();
  }
  if (db === null) throw new Error('no free Redis database among 10..15 for a CLI test');
  const redisUrl = `${REDIS_URL}/${db}`;
  return {
    databaseUrl,
    redisUrl,
    async release() {
      const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      await redis.flushdb();
      await redis.quit();
      await dropDatabase();
    },
  };
}
