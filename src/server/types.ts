/** Decorators the app adds (fastify/demo style: services as decorators with typed augmentation). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerDeps } from './deps.js';

/** The ports the routes use: the server's dependencies less what only the app wiring needs. */
export type DealwatchServices = Omit<ServerDeps, 'logger' | 'queues' | 'redis'>;

declare module 'fastify' {
  interface FastifyInstance {
    /** Ports the routes use; set once by the `dealwatch-services` plugin. */
    services: DealwatchServices;
    /** preHandler: 401 unless the request carries one of the API tokens. */
    requireApiToken: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}
