import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DealwatchError } from '../../../domain/errors.js';
import { ApiText, ErrorBody, JobViewSchema } from '../../api-schemas.js';

export const jobRoutes: FastifyPluginAsync = async (app) => {
  const { services } = app;
  app.withTypeProvider<ZodTypeProvider>().get(
    '/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'A job of any queue: state, attempts, result',
        security: [{ apiToken: [] }],
        params: z.object({ id: ApiText }),
        response: { 200: JobViewSchema, 401: ErrorBody, 429: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const job = await services.jobs.getJob(request.params.id);
      if (job === null) throw new DealwatchError('NOT_FOUND', `no job "${request.params.id}"`);
      return job;
    },
  );
};
