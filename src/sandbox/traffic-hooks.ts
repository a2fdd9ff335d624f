/**
 * Hooks every API request passes through: injected faults and latency first (never on the admin
 * surface), then one call-log entry per answered request. Two faults are applied late, once the request
 * was handled as usual: `lost_response` replaces its answer by a closed connection, `slow_response`
 * holds the answer back.
 */
import type { FastifyInstance } from 'fastify';
import type { CallLog, SandboxSurface } from './call-log.js';
import type { FaultInjector } from './faults.js';
import { expiredToken, hubspotError, rateLimited } from './hubspot/errors.js';
import { sfError } from './salesforce/context.js';

export function surfaceOf(url: string): SandboxSurface | null {
  if (url.startsWith('/hubspot/') || url === '/hubspot') return 'hubspot';
  if (url.startsWith('/services/')) return 'salesforce';
  if (url.startsWith('/__sandbox')) return 'admin';
  return null;
}

export function registerTrafficHooks(app: FastifyInstance, deps: { faults: FaultInjector; log: CallLog; latencyMs: number }): void {
  const { faults, log } = deps;
  app.addHook('onRequest', async (request, reply) => {
    const surface = surfaceOf(request.url);
    if (surface === null || surface === 'admin') return undefined;
    const decision = faults.decide(surface, request.url, request.method);
    const delay = deps.latencyMs + decision.addedLatencyMs;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (decision.heldResponseMs > 0) (request as { holdResponseMs?: number }).holdResponseMs = decision.heldResponseMs;
    if (decision.kind === null) return undefined;
    const record = (status: number) =>
      log.record({
        at: new Date().toISOString(),
        provider: surface,
        method: request.method,
        path: request.url,
        endpoint: request.routeOptions.url ?? request.url,
        status,
        durationMs: 0,
        fault: decision.kind ?? '',
      });
    (request as { faulted?: boolean }).faulted = true;
    switch (decision.kind) {
      case 'lost_response':
        // Handled normally (writes applied, annotations recorded); onSend loses the answer.
        (request as { loseResponse?: boolean }).loseResponse = true;
        return undefined;
      case 'drop':
        record(0);
        reply.hijack();
        request.raw.socket.destroy();
        return reply;
      case '429':
        record(429);
        return reply
          .code(429)
          .send(
            surface === 'hubspot'
              ? rateLimited('TEN_SECONDLY_ROLLING')
              : sfError('REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.'),
          );
      case '500':
        record(500);
        return reply
          .code(500)
          .send(
            surface === 'hubspot'
              ? hubspotError('INTERNAL_ERROR', 'internal error')
              : sfError(
                  'UNKNOWN_EXCEPTION',
                  'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)',
                ),
          );
      case '503':
        record(503);
        return reply
          .code(503)
          .send(
            surface === 'hubspot'
              ? hubspotError('SERVICE_UNAVAILABLE', 'Service Unavailable')
              : sfError('SERVER_UNAVAILABLE', 'Server temporarily unavailable'),
          );
      // https://developer.salesforce.com/docs/platform/salesforce-app-limits-cheatsheet/guide/salesforce-app-limits-platform-api.html
      case 'concurrent_limit':
        if (surface === 'hubspot') {
          record(429);
          return reply.code(429).send(rateLimited('TEN_SECONDLY_ROLLING'));
        }
        record(403);
        return reply.code(403).send(sfError('REQUEST_LIMIT_EXCEEDED', 'ConcurrentRequests (Concurrent API Requests) Limit exceeded.'));
      case 'daily_limit':
        if (surface === 'hubspot') {
          record(429);
          return reply.code(429).send(rateLimited('DAILY'));
        }
        record(403);
        return reply.code(403).send(sfError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'));
      case 'expired_token':
        record(401);
        return reply.code(401).send(surface === 'hubspot' ? expiredToken() : sfError('INVALID_SESSION_ID', 'Session expired or invalid'));
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const holdMs = (request as { holdResponseMs?: number }).holdResponseMs;
    if (holdMs) await new Promise((r) => setTimeout(r, holdMs));
    if (!(request as { loseResponse?: boolean }).loseResponse) return payload;
    // The call log keeps the status the handler chose; the client sees a reset connection, as when a
    // proxy or the network fails after the server committed.
    const surface = surfaceOf(request.url);
    if (surface !== null) {
      log.record({
        at: new Date().toISOString(),
        provider: surface,
        method: request.method,
        path: request.url,
        endpoint: request.routeOptions.url ?? request.url,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        fault: 'lost_response',
      });
    }
    request.raw.socket.destroy();
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    if ((request as { faulted?: boolean }).faulted) return;
    const surface = surfaceOf(request.url);
    if (surface === null) return;
    log.record({
      at: new Date().toISOString(),
      provider: surface,
      method: request.method,
      path: request.url,
      endpoint: request.routeOptions.url ?? request.url,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    });
  });
}
