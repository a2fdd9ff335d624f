import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * In the calling plugin's scope only, every body arrives as the exact bytes received: signatures
 * are computed over them, so nothing may parse or re-encode the body first.
 */
export function keepRawBodies(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
}

/** The bytes received; a request without a body (no content type, or none sent) is empty, not undefined. */
export function rawBodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}
