import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { RedisClient } from '../../queue/redis.js';

/**
 * Registers @fastify/rate-limit without a global limit: routes opt in with `config.rateLimit`
 * and their own key (per source), so a flood from one source cannot starve the others.
 * Counters live in Redis when it is in use, so every replica counts together.
 */
export const rateLimitPlugin = fp<{ redis?: RedisClient | undefined; keyPrefix: string }>(
  async (app, { redis, keyPrefix }) => {
    await app.register(rateLimit, {
      global: false,
      ...(redis === undefined ? {} : { redis, nameSpace: `${keyPrefix}ratelimit:` }),
    });
  },
  { name: 'dealwatch-rate-limit', fastify: '5.x' },
);
