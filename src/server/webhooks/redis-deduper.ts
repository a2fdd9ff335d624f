import type { RedisClient } from '../../queue/redis.js';
import type { Deduper } from '../ports.js';

/** The providers retry for up to 24 h; keys outlive that by an hour. */
export const DEDUPE_TTL_MS = 25 * 60 * 60 * 1000;

// All or nothing: an event counts as new only when none of its keys exists, and only a new event
// sets keys (a duplicate must not extend or add keys that would swallow a later, different event).
const CLAIM_SCRIPT = `
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('SET', key, '1', 'PX', ARGV[1])
end
return 1`;

/** Dedupe keys in Redis, set with a TTL of at least the providers' retry window. */
export function createRedisDeduper(redis: RedisClient, options: { prefix?: string; ttlMs?: number } = {}): Deduper {
  const prefix = options.prefix ?? 'dealwatch:webhook-dedupe:';
  const ttlMs = options.ttlMs ?? DEDUPE_TTL_MS;
  return {
    async claim(keys) {
      if (keys.length === 0) return true;
      const claimed = await redis.eval(CLAIM_SCRIPT, keys.length, ...keys.map((k) => prefix + k), String(ttlMs));
      return claimed === 1;
    },
    async release(keys) {
      if (keys.length > 0) await redis.del(...keys.map((k) => prefix + k));
    },
  };
}
