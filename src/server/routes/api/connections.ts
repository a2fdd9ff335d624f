import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiText, ConnectionList, ErrorBody, JobAccepted, SyncRequest } from '../../api-schemas.js';
import { connectionView } from '../../connection-status.js';
import { requireConnection } from './connection-guard.js';

const IdParams = z.object({ id: ApiText });

export const connectionRoutes: FastifyPluginAsync = async (app) => {
  const { services } = app;
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/connections',
    {
      schema: {
        tags: ['connections'],
        summary: 'Configured connections with their sync status',
        security: [{ apiToken: [] }],
        response: { 200: ConnectionList, 401: ErrorBody, 429: ErrorBody },
      },
    },
    async () => ({
      items: await Promise.all(services.connections.list().map((c) => connectionView(c, services.store, services.jobs))),
    }),
  );

  api.post(
    '/connections/:id/sync',
    {
      schema: {
        tags: ['connections'],
        summary: 'Starts a sync now; poll the job at /api/v1/jobs/{jobId}',
        security: [{ apiToken: [] }],
        params: IdParams,
        body: SyncRequest,
        response: { 202: JobAccepted, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const connection = requireConnection(services.connections, request.params.id);
      const jobId = await services.jobs.enqueueSync(connection.id, request.body.mode);
      request.log.info({ connection: connection.id, mode: request.body.mode, jobId }, 'sync requested');
      return reply.code(202).send({ jobId, queue: 'sync' as const });
    },
  );
};
