import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DealwatchError } from '../../../domain/errors.js';
import { ApiText, DealDetail, DealPage, DealQuery, ErrorBody } from '../../api-schemas.js';
import type { DealListQuery, LedgerEntry } from '../../../store/types.js';
import { cursorKeyOf, pageCursors } from '../../page-cursor.js';
import { requireConnection } from './connection-guard.js';

const IdParams = z.object({ id: ApiText });
const DealParams = z.object({ id: ApiText, dealId: ApiText });

export const dealRoutes: FastifyPluginAsync = async (app) => {
  const { services } = app;
  const { store } = services;
  const cursors = pageCursors(cursorKeyOf(services.options.apiTokens));
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/connections/:id/deals',
    {
      schema: {
        tags: ['deals'],
        summary: 'Deals with their latest score, filtered, keyset-paginated (each deal exactly once across pages)',
        security: [{ apiToken: [] }],
        params: IdParams,
        querystring: DealQuery,
        response: { 200: DealPage, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const connection = requireConnection(services.connections, request.params.id);
      const q = request.query;
      const query: DealListQuery = { limit: q.limit, state: q.state };
      if (q.band !== undefined) query.band = q.band;
      if (q.rule !== undefined) query.ruleId = q.rule;
      if (q.owner !== undefined) query.ownerId = q.owner;
      if (q.stage !== undefined) query.stageId = q.stage;
      // A cursor holds for the page sequence it came from: same connection, same filters (any limit).
      const scope = { connection: connection.id, band: q.band, rule: q.rule, owner: q.owner, stage: q.stage, state: q.state };
      if (q.cursor !== undefined) query.cursor = cursors.open(q.cursor, scope);
      const page = await store.deals.list(connection.id, query);
      return { ...page, nextCursor: page.nextCursor === null ? null : cursors.seal(page.nextCursor, scope) };
    },
  );

  api.get(
    '/connections/:id/deals/:dealId',
    {
      schema: {
        tags: ['deals'],
        summary: 'One deal: score with components and reasons, findings, activity timeline, stage history',
        security: [{ apiToken: [] }],
        params: DealParams,
        response: { 200: DealDetail, 401: ErrorBody, 429: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const connection = requireConnection(services.connections, request.params.id);
      const { dealId } = request.params;
      const deal = await store.deals.get(connection.id, dealId);
      if (deal === null) throw new DealwatchError('NOT_FOUND', `no deal "${dealId}" in connection "${connection.id}"`);
      const [score, findings, activities, stageHistory, fieldHistory] = await Promise.all([
        store.scores.get(connection.id, dealId),
        store.findings.list(connection.id, { dealId }),
        store.activities.forDeals(connection.id, [dealId]),
        store.history.stageChanges(connection.id, { dealIds: [dealId] }),
        store.history.fieldChanges(connection.id, { dealIds: [dealId] }),
      ]);
      return {
        deal,
        score,
        findings: {
          open: findings.filter((f) => f.status === 'open').map(findingView),
          resolved: findings.filter((f) => f.status === 'resolved').map(findingView),
        },
        activities,
        stageHistory,
        fieldHistory,
      };
    },
  );
};

function findingView(entry: LedgerEntry) {
  return {
    connectionId: entry.connectionId,
    dealId: entry.dealId,
    ruleId: entry.ruleId,
    severity: entry.severity,
    message: entry.message,
    evidence: entry.evidence,
    suggestedAction: entry.suggestedAction,
    status: entry.status,
    firstSeenAt: entry.firstSeenAt,
    lastSeenAt: entry.lastSeenAt,
    resolvedAt: entry.resolvedAt,
    annotationKey: entry.annotationKey,
    writeStatus: entry.writeStatus,
    externalId: entry.externalId,
  };
}
