import fp from 'fastify-plugin';
import { toHttpError, type ErrorBody } from '../errors.js';

/**
 * One error handler for the JSON API: coded errors map to their status, 5xx details are logged
 * and hidden. Routes with their own wire format (SOAP) set their own handler in their scope.
 */
export const errorHandlerPlugin = fp(
  async (app) => {
    app.setErrorHandler((error, request, reply) => {
      const view = toHttpError(error);
      if (view.status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: view.code, status: view.status }, 'request refused');
      const body: ErrorBody = { error: { code: view.code, message: view.message }, requestId: request.id };
      return reply.code(view.status).type('application/json').send(body);
    });
    app.setNotFoundHandler((request, reply) => {
      const body: ErrorBody = { error: { code: 'NOT_FOUND', message: 'no such route' }, requestId: request.id };
      return reply.code(404).send(body);
    });
  },
  { name: 'dealwatch-error-handler', fastify: '5.x' },
);
