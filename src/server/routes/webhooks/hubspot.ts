import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SkippedWebhookEvent, WebhookEvent, WebhookRequest } from '../../../../connectors/types.js';
import { ErrorBody } from '../../api-schemas.js';
import { countSkipped, ingestEvents } from '../../webhooks/ingest.js';
import { HubSpotDelivery } from '../../webhooks/hubspot-delivery.js';
import { routeByPortal } from '../../webhooks/hubspot-routing.js';
import { keepRawBodies, rawBodyOf } from '../../webhooks/raw-body.js';
import { WebhookRejection } from '../../webhooks/rejection.js';
import { webhookErrorHandler } from './error-handler.js';

export interface HubSpotWebhookOptions {
  bodyLimit: number;
  rateLimit: { max: number; timeWindow: number };
}

const Accepted = z.object({
  accepted: z.number().int().describe('events enqueued now'),
  duplicates: z.number().int().describe('events already enqueued by an earlier delivery'),
  ignored: z
    .number()
    .int()
    .describe(
      "events of dealwatch's own writes, of unknown portals, of other objects, or that cannot be read (counted in /metrics by reason)",
    ),
});

/**
 * `POST /webhooks/hubspot`: verifies the signature over the raw body and the public URL, routes
 * each event to its connection by portalId, enqueues, and answers within milliseconds (HubSpot
 * gives up after 5 s and retries).
 */
export const hubspotWebhookRoutes: FastifyPluginAsync<HubSpotWebhookOptions> = async (app, options) => {
  const { services } = app;
  keepRawBodies(app, options.bodyLimit);
  app.addHook('onRequest', app.rateLimit({ ...options.rateLimit, keyGenerator: (request) => `hubspot:${request.ip}` }));
  app.setErrorHandler(
    webhookErrorHandler('hubspot', services.metrics, (view, request, reply) =>
      reply.code(view.status).send({ error: { code: view.code, message: view.message }, requestId: request.id }),
    ),
  );

  app.withTypeProvider<ZodTypeProvider>().post(
    '/webhooks/hubspot',
    {
      bodyLimit: options.bodyLimit,
      schema: {
        tags: ['webhooks'],
        summary: 'HubSpot webhook deliveries (signature v3, or v1/v2 for private apps)',
        response: { 200: Accepted, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 413: ErrorBody, 429: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const rawBody = rawBodyOf(request);
      let json: unknown;
      try {
        json = JSON.parse(rawBody.toString('utf8'));
      } catch {
        throw new WebhookRejection('malformed_json', 'the body is not JSON');
      }
      const delivery = HubSpotDelivery.safeParse(json);
      if (!delivery.success) throw new WebhookRejection('wrong_shape', 'expected an array of 1 to 100 HubSpot events');

      const { byConnection, unknownPortal } = routeByPortal(delivery.data, json as unknown[], services.connections.list());
      if (byConnection.size === 0) throw new WebhookRejection('unknown_connection', 'no connection has this portalId');

      const webhookRequest: WebhookRequest = {
        method: request.method,
        url: services.options.publicUrl + request.url,
        headers: request.headers,
        rawBody,
      };
      const nowMs = services.clock().getTime();
      // Every connection the delivery touches must accept the signature before anything is enqueued.
      const verifiers = [...byConnection.keys()].map((connection) => [connection, services.verifierFor(connection)] as const);
      for (const [, verifier] of verifiers) {
        const verdict = verifier.verify(webhookRequest, nowMs);
        if (!verdict.ok) throw new WebhookRejection(verdict.reason, 'the webhook signature does not verify');
      }
      const events: WebhookEvent[] = [];
      const skipped: SkippedWebhookEvent[] = [];
      for (const [connection, verifier] of verifiers) {
        const own = Buffer.from(JSON.stringify(byConnection.get(connection)));
        try {
          events.push(...verifier.parse({ ...webhookRequest, rawBody: own }, (event) => skipped.push(event)));
        } catch {
          throw new WebhookRejection('wrong_shape', 'the events cannot be read');
        }
      }
      countSkipped('hubspot', skipped, services.metrics, request.log);
      if (unknownPortal > 0) {
        services.metrics.webhookEvents.inc({ provider: 'hubspot', outcome: 'ignored', reason: 'unknown_connection' }, unknownPortal);
        request.log.warn({ events: unknownPortal }, 'webhook events of unknown portals ignored');
      }
      const result = await ingestEvents('hubspot', events, services, request.log);
      request.log.info({ ...result, unknownPortal }, 'webhook accepted');
      return { accepted: result.accepted, duplicates: result.duplicates, ignored: result.selfInflicted + unknownPortal + skipped.length };
    },
  );
};
