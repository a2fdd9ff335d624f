import type { FastifyPluginAsync } from 'fastify';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';

export const QUEUE_BOARD_PATH = '/admin/queues';

/** Bull Board at /admin/queues, behind the API token (Bearer, or Basic with the token as password). */
export const queueBoardRoutes: FastifyPluginAsync<{ queues: readonly Queue[] }> = async (app, { queues }) => {
  const board = new FastifyAdapter();
  board.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter: board });
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  app.addHook('onRequest', app.requireDashboardToken);
  await app.register(board.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
};
