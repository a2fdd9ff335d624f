/**
 * `dealwatch worker`'s own small HTTP listener: `GET /metrics` (what its workers count) and
 * `GET /healthz`. A worker has no fastify app; Prometheus scrapes each worker replica here, and
 * the `serve` replicas on their `/metrics`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { createTokenMatcher, presentedToken } from './auth.js';

export interface MetricsListener {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

export async function listenForMetrics(
  registry: Registry,
  options: { host: string; port: number; token?: string | undefined },
): Promise<MetricsListener> {
  const matches = createTokenMatcher(options.token === undefined ? [] : [options.token]);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics' && options.token !== undefined && !matches(presentedToken(request.headers.authorization))) {
      response
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="dealwatch metrics"' })
        .end('a valid metrics token is required\n');
    } else if (path === '/metrics') {
      registry.metrics().then(
        (body) => response.writeHead(200, { 'content-type': registry.contentType }).end(body),
        () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n'),
      );
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
