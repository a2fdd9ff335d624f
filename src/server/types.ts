/** Decorators the app adds (fastify/demo style: services as decorators with typed augmentation). */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics.js';
import type { ServerOptions } from './deps.js';
import type {
  ConnectionDirectory,
  Deduper,
  EventSink,
  JobControl,
  ReadinessCheck,
  ReviewService,
  ServerStore,
  VerifierFactory,
} from './ports.js';

export interface DealwatchServices {
  options: ServerOptions;
  clock: () => Date;
  connections: ConnectionDirectory;
  verifierFor: VerifierFactory;
  events: EventSink;
  dedupe: Deduper;
  jobs: JobControl;
  store: ServerStore;
  reviews: ReviewService;
  readiness: readonly ReadinessCheck[];
  metrics: Metrics;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Ports the routes use; set once by the `dealwatch-services` plugin. */
    services: DealwatchServices;
    /** preHandler: 401 unless the request carries one of the API tokens. */
    requireApiToken: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}
