/**
 * The dealwatch HTTP app, built from its dependencies (fastify/demo style): tests build it and call
 * `inject` or `listen`; `server.ts` only starts it.
 *
 * Routes:
 * - `POST /webhooks/hubspot`, `POST /webhooks/salesforce/:connectionId/:token`: verify, dedupe, enqueue
 *   (raw bodies, 1 MiB limit, per-source rate limit);
 * - `/api/v1/...`: the manager API (Bearer token);
 * - the web app (`/login`, `/logout`, the pages of `pages/paths.ts`, `/review/:id`): a session cookie;
 * - `/healthz`, `/readyz`, `/metrics`, `/docs` (+ `/docs/json`), `/admin/queues` (Bull Board, token).
 */
import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { ServerDeps } from './deps.js';
import { frameworkErrorView, type ErrorBody } from './errors.js';
import { authPlugin } from './plugins/auth.js';
import { errorHandlerPlugin } from './plugins/error-handler.js';
import { metricsPlugin } from './plugins/metrics.js';
import { openapiPlugin } from './plugins/openapi.js';
import { queueBoardRoutes } from './plugins/queue-board.js';
import { rateLimitPlugin } from './plugins/rate-limit.js';
import { securityPlugin } from './plugins/security.js';
import { servicesPlugin } from './plugins/services.js';
import { apiRoutes } from './routes/api/index.js';
import { healthRoutes } from './routes/health.js';
import { pageRoutes } from './routes/pages.js';
import { hubspotWebhookRoutes } from './routes/webhooks/hubspot.js';
import { salesforceWebhookRoutes } from './routes/webhooks/salesforce.js';
import './types.js';

export const DEFAULT_WEBHOOK_BODY_LIMIT = 1024 * 1024;
const DEFAULT_WEBHOOK_RATE = { max: 6_000, timeWindowMs: 60_000 };
const DEFAULT_API_RATE = { max: 600, timeWindowMs: 60_000 };

/** Salesforce puts its secret in the path: log lines show the route, never that segment. */
export function redactUrl(url: string): string {
  return url.replace(/^(\/webhooks\/salesforce\/[^/?]+\/)[^/?]+/, '$1[redacted]');
}

/** What a log line says about a request: never its body, query values or the secret path segment. */
function requestLine(request: { method?: string; url?: string; ip?: string; socket?: { remoteAddress?: string } }) {
  return {
    method: request.method,
    url: redactUrl((request.url ?? '').split('?')[0] ?? ''),
    remoteAddress: request.ip ?? request.socket?.remoteAddress,
  };
}

/** Fastify options shared by tests and `serve`: request ids, redacted request lines, no bodies. */
export function fastifyOptions(deps: Pick<ServerDeps, 'logger' | 'options'>): FastifyServerOptions {
  return {
    loggerInstance: deps.logger.child({ module: 'http' }, { serializers: { req: requestLine } }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    trustProxy: deps.options.trustProxy ?? ['loopback', 'linklocal', 'uniquelocal'],
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const view = frameworkErrorView(error);
      request.log.info({ code: view.code, status: view.status }, 'request refused before routing');
      const body: ErrorBody = { error: { code: view.code, message: view.message }, requestId: request.id };
      void reply.code(view.status).type('application/json').send(body);
    },
  } as FastifyServerOptions;
}

/** Builds the app; call `ready()` (or `inject`/`listen`, which do) before use. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify(fastifyOptions(deps)) as unknown as FastifyInstance;
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(app_, { deps });
  return app;
}

/** Everything but the Fastify instance: the app as a plugin. */
async function app_(app: FastifyInstance, { deps }: { deps: ServerDeps }): Promise<void> {
  // HubSpot signs `<public URL><path>`: a trailing slash here would double the one of the path.
  const options = { ...deps.options, publicUrl: deps.options.publicUrl.replace(/\/+$/, '') };
  const webhookRate = options.webhookRateLimit ?? DEFAULT_WEBHOOK_RATE;
  const apiRate = options.apiRateLimit ?? DEFAULT_API_RATE;
  const bodyLimit = options.webhookBodyLimitBytes ?? DEFAULT_WEBHOOK_BODY_LIMIT;

  await app.register(servicesPlugin, {
    services: {
      options,
      clock: deps.clock,
      connections: deps.connections,
      verifierFor: deps.verifierFor,
      events: deps.events,
      dedupe: deps.dedupe,
      jobs: deps.jobs,
      store: deps.store,
      reviews: deps.reviews,
      readiness: deps.readiness,
      metrics: deps.metrics,
    },
  });
  await app.register(errorHandlerPlugin);
  await app.register(securityPlugin);
  await app.register(rateLimitPlugin, { redis: deps.redis, keyPrefix: options.redisKeyPrefix ?? 'dealwatch:' });
  await app.register(authPlugin, { apiTokens: options.apiTokens });
  // Before any route: @fastify/swagger documents only routes registered after it.
  await app.register(openapiPlugin, { publicUrl: options.publicUrl, access: options.docs ?? 'public' });
  await app.register(metricsPlugin, { queues: deps.queues });

  await app.register(healthRoutes);
  const webhookLimit = { max: webhookRate.max, timeWindow: webhookRate.timeWindowMs };
  await app.register(hubspotWebhookRoutes, { bodyLimit, rateLimit: webhookLimit });
  await app.register(salesforceWebhookRoutes, { bodyLimit, rateLimit: webhookLimit });
  await app.register(apiRoutes, { prefix: '/api/v1', rateLimit: { max: apiRate.max, timeWindow: apiRate.timeWindowMs } });
  await app.register(pageRoutes);
  await app.register(queueBoardRoutes, { queues: deps.queues });
}
