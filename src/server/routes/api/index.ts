import { createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { connectionRoutes } from './connections.js';
import { dealRoutes } from './deals.js';
import { jobRoutes } from './jobs.js';
import { reportRoutes } from './reports.js';

export interface ApiOptions {
  rateLimit: { max: number; timeWindow: number };
}

/** The manager API under /api/v1: every route needs an API token, limited per token. */
export const apiRoutes: FastifyPluginAsync<ApiOptions> = async (app, options) => {
  // Keyed by a digest of the credentials, so no token ever becomes a Redis key.
  app.addHook(
    'onRequest',
    app.rateLimit({
      ...options.rateLimit,
      keyGenerator: (request) => {
        const credentials = request.headers.authorization;
        return credentials === undefined
          ? `api:ip:${request.ip}`
          : `api:${createHash('sha256').update(credentials).digest('base64url').slice(0, 22)}`;
      },
    }),
  );
  app.addHook('preHandler', app.requireApiToken);
  await app.register(connectionRoutes);
  await app.register(dealRoutes);
  await app.register(reportRoutes);
  await app.register(jobRoutes);
};
