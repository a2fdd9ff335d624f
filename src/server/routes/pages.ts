import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiText, ErrorBody } from '../api-schemas.js';
import { renderReviewPage } from '../pages/review-page.js';
import { requireConnection } from './api/connection-guard.js';

/** `/review/:id`: the morning review as a web page, behind the API token (Basic works in browsers). */
export const pageRoutes: FastifyPluginAsync = async (app) => {
  const { services } = app;
  app.addHook('onRequest', app.requireApiToken);
  app.withTypeProvider<ZodTypeProvider>().get(
    '/review/:id',
    {
      schema: {
        tags: ['reports'],
        summary: 'The morning review as a web page',
        security: [{ apiToken: [] }],
        params: z.object({ id: ApiText }),
        response: { 200: { content: { 'text/html': { schema: z.string() } } }, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const connection = requireConnection(services.connections, request.params.id);
      const review = await services.reviews.review(connection.id, services.clock());
      return reply.type('text/html; charset=utf-8').send(renderReviewPage(connection.name ?? connection.id, review));
    },
  );
};
