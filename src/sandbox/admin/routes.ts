/**
 * The admin surface under `/__sandbox/` (a path no real API uses): inspection (calls, counters,
 * annotations, planted problems, deliveries), fault injection, clock control and mutations that
 * behave like a rep working in the CRM (stage changes emit webhooks/outbound messages).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ActivityKind } from '../generator/book.js';
import { parseFaultSpec, type FaultRule } from '../faults.js';
import type { SandboxAdmin } from '../sandbox-types.js';
import { repDealView } from '../rep-view.js';

type Provider = 'hubspot' | 'salesforce';
const PROVIDERS: readonly string[] = ['hubspot', 'salesforce'];

export function adminRoutes(admin: SandboxAdmin) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const provider = (raw: string): Provider | null => (PROVIDERS.includes(raw) ? (raw as Provider) : null);
    const bad = (message: string) => ({ error: 'BAD_REQUEST', message });

    app.get('/', async () => admin.info());
    app.get('/calls', async (request: FastifyRequest<{ Querystring: { provider?: string; limit?: string } }>) => {
      const limit = Number(request.query.limit ?? 1000);
      const calls = admin.state.calls.filter((c) => !request.query.provider || c.provider === request.query.provider);
      return { total: calls.length, calls: calls.slice(-limit) };
    });
    app.get('/counters', async () => admin.state.counters());
    app.get('/annotations', async (request: FastifyRequest<{ Querystring: { provider?: string } }>) =>
      admin.state.annotations.filter((a) => !request.query.provider || a.provider === request.query.provider),
    );
    app.get('/planted', async () => admin.planted);
    // A deal as its rep sees it: score, flags by name, the warning record(s) as they read now.
    app.get('/deals/:provider/:dealId', async (request: FastifyRequest<{ Params: { provider: string; dealId: string } }>, reply) => {
      const p = provider(request.params.provider);
      if (!p) return reply.code(400).send(bad(`unknown provider ${request.params.provider}`));
      const view = repDealView(admin.state, p, request.params.dealId);
      return view ?? reply.code(404).send({ error: 'NOT_FOUND', message: `no ${p} deal ${request.params.dealId}` });
    });
    app.get('/deliveries', async () => admin.state.deliveries);
    app.post('/reset-log', async () => {
      admin.resetLog();
      return { ok: true };
    });

    app.get('/faults', async () => admin.faults());
    app.put('/faults', async (request: FastifyRequest<{ Body: { rules?: FaultRule[]; spec?: string } }>, reply) => {
      try {
        const rules = request.body?.spec !== undefined ? parseFaultSpec(request.body.spec) : (request.body?.rules ?? []);
        admin.injectFaults(rules);
        return admin.faults();
      } catch (err) {
        return reply.code(400).send(bad((err as Error).message));
      }
    });
    app.delete('/faults', async () => {
      admin.injectFaults([]);
      return admin.faults();
    });

    app.get('/clock', async () => ({ now: new Date(admin.now()).toISOString() }));
    app.post('/clock', async (request: FastifyRequest<{ Body: { at?: string; advanceMs?: number } }>, reply) => {
      const body = request.body ?? {};
      if (body.at !== undefined) {
        const ms = Date.parse(body.at);
        if (Number.isNaN(ms)) return reply.code(400).send(bad(`invalid time ${body.at}`));
        admin.setClock(new Date(ms));
      }
      if (body.advanceMs !== undefined) admin.advance(Number(body.advanceMs));
      return { now: new Date(admin.now()).toISOString() };
    });

    app.post(
      '/:provider/deals/:id/stage',
      async (request: FastifyRequest<{ Params: { provider: string; id: string }; Body: { stage?: string } }>, reply) => {
        const p = provider(request.params.provider);
        if (!p || !request.body?.stage) return reply.code(400).send(bad('provider and body.stage are required'));
        try {
          admin.changeStage(p, request.params.id, request.body.stage);
          return { ok: true };
        } catch (err) {
          return reply.code(404).send(bad((err as Error).message));
        }
      },
    );
    app.post(
      '/:provider/deals/:id/activities',
      async (
        request: FastifyRequest<{
          Params: { provider: string; id: string };
          Body: { kind?: ActivityKind; direction?: 'inbound' | 'outbound'; at?: string; completed?: boolean; subject?: string };
        }>,
        reply,
      ) => {
        const p = provider(request.params.provider);
        const body = request.body ?? {};
        if (!p || !body.kind) return reply.code(400).send(bad('provider and body.kind are required'));
        try {
          const id = admin.addActivity(p, request.params.id, {
            kind: body.kind,
            ...(body.direction ? { direction: body.direction } : {}),
            ...(body.at ? { at: new Date(body.at) } : {}),
            ...(body.completed !== undefined ? { completed: body.completed } : {}),
            ...(body.subject ? { subject: body.subject } : {}),
          });
          return reply.code(201).send({ id });
        } catch (err) {
          return reply.code(404).send(bad((err as Error).message));
        }
      },
    );
    app.post(
      '/:provider/deals',
      async (
        request: FastifyRequest<{
          Params: { provider: string };
          Body: { name?: string; amount?: number | null; closeDate?: string; ownerId?: string };
        }>,
        reply,
      ) => {
        const p = provider(request.params.provider);
        const body = request.body ?? {};
        if (!p || !body.name) return reply.code(400).send(bad('provider and body.name are required'));
        try {
          const id = admin.createDeal(p, {
            name: body.name,
            ...(body.amount !== undefined ? { amount: body.amount } : {}),
            ...(body.closeDate ? { closeDate: new Date(body.closeDate) } : {}),
            ...(body.ownerId ? { ownerId: body.ownerId } : {}),
          });
          return reply.code(201).send({ id });
        } catch (err) {
          return reply.code(400).send(bad((err as Error).message));
        }
      },
    );
    app.delete('/:provider/deals/:id', async (request: FastifyRequest<{ Params: { provider: string; id: string } }>, reply) => {
      const p = provider(request.params.provider);
      if (!p) return reply.code(400).send(bad('unknown provider'));
      try {
        admin.deleteDeal(p, request.params.id);
        return { ok: true };
      } catch (err) {
        return reply.code(404).send(bad((err as Error).message));
      }
    });
    app.post('/salesforce/expire-tokens', async () => {
      admin.expireSalesforceTokens();
      return { ok: true };
    });
    app.post('/hubspot/expire-tokens', async () => {
      admin.expireHubSpotTokens();
      return { ok: true };
    });
    app.post('/salesforce/custom-fields', async (request: FastifyRequest<{ Body: { remove?: string[]; add?: string[] } }>) => {
      admin.setSalesforceCustomFields({ remove: request.body?.remove ?? [], add: request.body?.add ?? [] });
      return { fields: admin.salesforceCustomFields() };
    });
    app.post('/flush', async () => {
      await admin.drainDeliveries();
      return { ok: true };
    });
  };
}
