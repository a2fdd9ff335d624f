/** Decorators the app adds (fastify/demo style: services as decorators with typed augmentation). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerDeps } from './deps.js';

/** The ports the routes use: the server's dependencies less what only the app wiring needs. */
export type DealwatchServices = Omit<ServerDeps, 'logger' | 'queues' | 'redis'>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Ports the routes use; set once by the `dealwatch-services` plugin. */
    services: DealwatchServices;
    /** True when `presented` is one of the API tokens (constant time). */
    apiTokenMatches: (presented: string | undefined) => boolean;
    /** preHandler of the JSON API: 401 with a Bearer challenge unless the request carries an API token. */
    requireApiToken: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** preHandler of the browser dashboards (Bull Board, docs): 401 with a Basic challenge, so browsers prompt. */
    requireDashboardToken: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}
