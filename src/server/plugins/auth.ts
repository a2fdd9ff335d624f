import fp from 'fastify-plugin';
import type { ErrorBody } from '../errors.js';
import { createTokenMatcher, presentedToken } from '../auth.js';

/** Decorates `requireApiToken`, the preHandler of the manager API and the queue dashboard. */
export const authPlugin = fp<{ apiTokens: readonly string[] }>(
  async (app, { apiTokens }) => {
    const matches = createTokenMatcher(apiTokens);
    if (apiTokens.length === 0) app.log.warn('DEALWATCH_API_TOKENS is empty: the manager API refuses every request');
    // Answers the 401 itself rather than throwing: scopes with their own error handler (Bull Board's)
    // must refuse the same way.
    app.decorate('requireApiToken', async (request, reply) => {
      if (matches(presentedToken(request.headers.authorization))) return;
      const body: ErrorBody = {
        error: { code: 'UNAUTHORIZED', message: 'a valid API token is required (Authorization: Bearer <token>)' },
        requestId: request.id,
      };
      request.log.info({ code: 'UNAUTHORIZED', status: 401 }, 'request refused');
      await reply.code(401).header('www-authenticate', 'Bearer realm="dealwatch", Basic realm="dealwatch"').type('application/json').send(body);
    });
  },
  { name: 'dealwatch-auth', fastify: '5.x' },
);
