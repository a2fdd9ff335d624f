import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Health, Readiness } from '../api-schemas.js';
import type { ReadinessCheck } from '../ports.js';

const CHECK_TIMEOUT_MS = 2_000;

/** `/healthz`: the process answers. `/readyz`: every dependency answers (503 naming the failing ones). */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is up', response: { 200: Health } } }, async () => ({
    status: 'ok' as const,
  }));
  api.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'The database, its migrations and the queue backend answer',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (request, reply) => {
      const checks = await Promise.all(app.services.readiness.map(runCheck));
      const ready = checks.every((c) => c.ok);
      if (!ready) request.log.warn({ failing: checks.filter((c) => !c.ok).map((c) => c.name) }, 'not ready');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
    },
  );
};

async function runCheck(check: ReadinessCheck): Promise<{ name: string; ok: boolean; error?: string }> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`));
    }, CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check.check(controller.signal), timeout]);
    return { name: check.name, ok: true };
  } catch (error) {
    return { name: check.name, ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
