/**
 * Starts the app on a socket (fastify/demo's server.ts): listen, timeouts, graceful close.
 * Everything the app does is in ./app.ts.
 */
import type { FastifyInstance } from 'fastify';
import { buildServer } from './app.js';
import type { ServerDeps } from './deps.js';

export interface ListenOptions {
  host: string;
  port: number;
  /** Time a closing server gives in-flight requests before it drops them. @defaultValue 10000 */
  closeGraceMs?: number;
}

export interface RunningServer {
  app: FastifyInstance;
  /** `http://host:port` actually bound (port 0 resolves to the chosen one). */
  url: string;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes. Idempotent. */
  close(): Promise<void>;
}

/**
 * Request timeouts: providers give up after a few seconds (HubSpot 5 s) and the API answers from
 * the database, so a request still running after 30 s is stuck; keep-alive stays below the
 * usual load-balancer idle timeout (60 s) so the proxy, not us, closes idle connections.
 */
const TIMEOUTS = { requestTimeout: 30_000, keepAliveTimeout: 65_000, connectionTimeout: 10_000 };

export async function startServer(deps: ServerDeps, listen: ListenOptions): Promise<RunningServer> {
  const app = await buildServer(deps);
  app.server.requestTimeout = TIMEOUTS.requestTimeout;
  app.server.keepAliveTimeout = TIMEOUTS.keepAliveTimeout;
  app.server.headersTimeout = TIMEOUTS.keepAliveTimeout + 1_000;
  app.server.setTimeout(TIMEOUTS.connectionTimeout + TIMEOUTS.requestTimeout);
  await app.listen({ host: listen.host, port: listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  let closing: Promise<void> | undefined;
  return {
    app,
    url: `http://${host}:${port}`,
    close() {
      closing ??= (async () => {
        const grace = setTimeout(() => app.server.closeAllConnections(), listen.closeGraceMs ?? 10_000);
        grace.unref();
        try {
          await app.close();
        } finally {
          clearTimeout(grace);
        }
      })();
      return closing;
    },
  };
}
