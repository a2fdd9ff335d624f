import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Provider } from '../../../domain/model/index.js';
import { rejectionReason, toHttpError, type HttpErrorView } from '../../errors.js';
import type { Metrics } from '../../metrics.js';
import { WebhookRejection } from '../../webhooks/rejection.js';

/**
 * Error handler of a webhook scope: counts and logs every refusal (reason, status, never the body
 * nor a secret), then answers in the provider's format.
 */
export function webhookErrorHandler(
  provider: Provider,
  metrics: Metrics,
  render: (view: HttpErrorView, request: FastifyRequest, reply: FastifyReply) => FastifyReply,
) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const view = toHttpError(error);
    const reason = error instanceof WebhookRejection ? error.reason : rejectionReason(view);
    metrics.webhookEvents.inc({ provider, outcome: 'rejected', reason });
    if (view.status >= 500) request.log.error({ err: error, provider, reason }, 'webhook not accepted');
    else request.log.warn({ provider, reason, status: view.status, bytes: request.headers['content-length'] }, 'webhook refused');
    return render(view, request, reply);
  };
}
