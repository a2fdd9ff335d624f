import fp from 'fastify-plugin';
import { DealwatchError } from '../../domain/errors.js';
import { createTokenMatcher, presentedToken } from '../auth.js';

/** Decorates `requireApiToken`, the preHandler of the manager API and the queue dashboard. */
export const authPlugin = fp<{ apiTokens: readonly string[] }>(
  async (app, { apiTokens }) => {
    const matches = createTokenMatcher(apiTokens);
    if (apiTokens.length === 0) app.log.warn('DEALWATCH_API_TOKENS is empty: the manager API refuses every request');
    app.decorate('requireApiToken', async (request, reply) => {
      if (matches(presentedToken(request.headers.authorization))) return;
      void reply.header('www-authenticate', 'Bearer realm="dealwatch", Basic realm="dealwatch"');
      throw new DealwatchError('UNAUTHORIZED', 'a valid API token is required (Authorization: Bearer <token>)');
    });
  },
  { name: 'dealwatch-auth', fastify: '5.x' },
);
