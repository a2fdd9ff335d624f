import fp from 'fastify-plugin';
import type { Queue } from 'bullmq';
import { z } from 'zod';
import { oldestWaitingAge } from '../../queue/index.js';
import { createTokenMatcher, presentedToken } from '../auth.js';

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

/** Times every request and serves `/metrics`; queue counts are read at scrape time. */
export const metricsPlugin = fp<{ queues: readonly Queue[] }>(
  async (app, { queues }) => {
    const { metrics } = app.services;
    metrics.observeQueues(
      async () => Object.fromEntries(await Promise.all(queues.map(async (q) => [q.name, await q.getJobCounts(...JOB_STATES)] as const))),
      async () => Object.fromEntries(await Promise.all(queues.map(async (q) => [q.name, await oldestWaitingAge(q)] as const))),
    );

    const { store, connections, options } = app.services;
    // With DEALWATCH_METRICS_TOKEN set, only scrapers presenting it read /metrics.
    const matches = createTokenMatcher(options.metricsToken === undefined ? [] : [options.metricsToken]);
    const scraperAllowed = (header: string | undefined) => options.metricsToken === undefined || matches(presentedToken(header));
    metrics.observeSyncRuns(async () => {
      const runs = await Promise.all(
        connections.list().map(async (c) => {
          const finished = (await store.syncRuns.latest(c.id, 5)).find((r) => r.finishedAt !== null);
          if (finished === undefined) return null;
          return {
            connection: c.id,
            provider: c.provider,
            mode: finished.mode,
            status: finished.status,
            durationSeconds: (Date.parse(finished.finishedAt!) - Date.parse(finished.startedAt)) / 1000,
            counts: Object.fromEntries(Object.entries(finished.counts).filter((e): e is [string, number] => typeof e[1] === 'number')),
            apiCalls: finished.apiUsage?.calls ?? null,
            rateLimited: finished.apiUsage?.rateLimited ?? null,
          };
        }),
      );
      return runs.filter((r) => r !== null);
    });

    metrics.observeConnections(async () =>
      Promise.all(
        connections.list().map(async (c) => ({
          connection: c.id,
          provider: c.provider,
          paused: (await store.connectionState.get(c.id)).pausedReason !== null,
        })),
      ),
    );

    app.addHook('onResponse', async (request, reply) => {
      metrics.httpDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });

    app.get(
      '/metrics',
      {
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics',
          response: {
            200: { content: { 'text/plain': { schema: z.string().describe('Prometheus text exposition format') } } },
            401: {
              content: {
                'text/plain': { schema: z.string().describe('DEALWATCH_METRICS_TOKEN is set and the request did not present it') },
              },
            },
          },
        },
      },
      async (request, reply) => {
        if (!scraperAllowed(request.headers.authorization)) {
          return reply
            .code(401)
            .header('www-authenticate', 'Bearer realm="dealwatch metrics"')
            .type('text/plain')
            .send('a valid metrics token is required (Authorization: Bearer <DEALWATCH_METRICS_TOKEN>)\n');
        }
        const body = await metrics.registry.metrics();
        return reply.type(metrics.registry.contentType).send(body);
      },
    );
  },
  { name: 'dealwatch-metrics', fastify: '5.x', dependencies: ['dealwatch-services'] },
);
