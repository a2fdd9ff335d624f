import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { WebhookRequest } from '../../../../connectors/types.js';
import { ingestEvents } from '../../webhooks/ingest.js';
import { keepRawBodies, rawBodyOf } from '../../webhooks/raw-body.js';
import { WebhookRejection } from '../../webhooks/rejection.js';
import { declaresDtd, isWellFormedXml, soapAck, soapFault } from '../../webhooks/soap.js';
import { webhookErrorHandler } from './error-handler.js';

export interface SalesforceWebhookOptions {
  bodyLimit: number;
  rateLimit: { max: number; timeWindow: number };
}

const Params = z.object({
  connectionId: z.string().min(1).max(63),
  token: z.string().min(1).max(512),
});

const SoapXml = { content: { 'text/xml': { schema: z.string().describe('SOAP 1.1 envelope: the notifications Ack, or a Fault') } } };

/**
 * `POST /webhooks/salesforce/:connectionId/:token`: an Outbound Message. Salesforce retries
 * whatever is not acknowledged for 24 h, so the Ack is sent only once the events are queued.
 */
export const salesforceWebhookRoutes: FastifyPluginAsync<SalesforceWebhookOptions> = async (app, options) => {
  const { services } = app;
  keepRawBodies(app, options.bodyLimit);
  app.addHook(
    'onRequest',
    app.rateLimit({
      ...options.rateLimit,
      keyGenerator: (request) => `salesforce:${(request.params as { connectionId?: string }).connectionId ?? request.ip}`,
    }),
  );
  app.setErrorHandler(
    webhookErrorHandler('salesforce', services.metrics, (view, _request, reply) =>
      reply
        .code(view.status)
        .type('text/xml; charset=utf-8')
        .send(soapFault(view.status >= 500 ? 'Server' : 'Client', `${view.code}: ${view.message}`)),
    ),
  );

  app.withTypeProvider<ZodTypeProvider>().post(
    '/webhooks/salesforce/:connectionId/:token',
    {
      bodyLimit: options.bodyLimit,
      schema: {
        tags: ['webhooks'],
        summary: 'Salesforce Outbound Messages (SOAP); the token is the connection outboundMessageToken',
        params: Params,
        response: { 200: SoapXml, 400: SoapXml, 401: SoapXml, 404: SoapXml, 413: SoapXml, 429: SoapXml, 503: SoapXml },
      },
    },
    async (request, reply) => {
      const rawBody = rawBodyOf(request);
      const { connectionId, token } = request.params;
      const connection = services.connections.get(connectionId);
      if (connection?.provider !== 'salesforce') throw new WebhookRejection('unknown_connection', 'no Salesforce connection has this id');
      const xml = rawBody.toString('utf8');
      if (declaresDtd(xml))
        throw new WebhookRejection('malformed', 'a DOCTYPE or ENTITY declaration is not allowed in an outbound message');
      if (!isWellFormedXml(xml)) throw new WebhookRejection('malformed', 'the body is not well-formed XML');

      const webhookRequest: WebhookRequest = {
        method: request.method,
        url: services.options.publicUrl + request.url,
        headers: request.headers,
        rawBody,
        params: { connectionId, token },
      };
      const verifier = services.verifierFor(connection);
      let verdict;
      try {
        verdict = verifier.verify(webhookRequest, services.clock().getTime());
      } catch {
        // the verifier reads the message (OrganizationId); a message it cannot read is the sender's fault
        throw new WebhookRejection('malformed', 'the outbound message cannot be read');
      }
      if (!verdict.ok) throw new WebhookRejection(verdict.reason, 'the outbound message is not from this connection');
      let events;
      try {
        events = verifier.parse(webhookRequest);
      } catch {
        throw new WebhookRejection('malformed', 'the outbound message cannot be read');
      }
      const result = await ingestEvents('salesforce', events, services, request.log);
      request.log.info({ ...result, connection: connectionId }, 'outbound message accepted');
      return reply.type('text/xml; charset=utf-8').send(soapAck());
    },
  );
};
