/**
 * The web app: sign-in with an API token answered by a sealed session cookie (HttpOnly,
 * SameSite=Lax), CSRF tokens on every form that changes something, and the pages at the addresses
 * of `pagePaths` (plus the older `/review/:id`). A browser without a session is sent to `/login`;
 * scripts may still present the token in `Authorization` (Bearer, or Basic with it as password).
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import secureSession from '@fastify/secure-session';
import csrfProtection from '@fastify/csrf-protection';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { crmRecordUrl } from '../../../connectors/registry.js';
import { ConfigError, DealwatchError } from '../../domain/errors.js';
import { createDayClock, engineSettingsFromConnection, fiscalQuarter, RULES } from '../../domain/engine.js';
import type { ConnectionSettings } from '../../domain/model/index.js';
import { isoDateOfDay } from '../../domain/time.js';
import { DEAL_SORTS, type DealListQuery } from '../../store/types.js';
import { ApiText } from '../api-schemas.js';
import { presentedToken, sessionKeyOf } from '../auth.js';
import { connectionView } from '../connection-status.js';
import { toHttpError } from '../errors.js';
import { cursorKeyOf, pageCursors } from '../page-cursor.js';
import { changesBody } from '../pages/changes-page.js';
import { scoreDistributionChart } from '../pages/charts.js';
import { connectionsBody } from '../pages/connections-page.js';
import { dealBody } from '../pages/deal-page.js';
import { forecastBody } from '../pages/forecast-page.js';
import { html } from '../pages/html.js';
import { CLOSE_PERIODS, inspectionBody, type ClosePeriod, type InspectionQuery } from '../pages/inspection-page.js';
import { loadStylesheet, renderPage, STYLESHEET_PATH, type Frame } from '../pages/layout.js';
import { renderLoginPage } from '../pages/login-page.js';
import { pagePaths } from '../pages/paths.js';
import { repsBody } from '../pages/reps-page.js';
import { renderReviewPage } from '../pages/review-page.js';
import { warningRecordsOf } from '../pages/warning-record.js';
import { discountApprovers } from '../../../jobs/approvals.js';
import { requireConnection } from './api/connection-guard.js';

declare module '@fastify/secure-session' {
  interface SessionData {
    /** When the holder signed in (ISO); absent: not signed in. */
    signedInAt: string;
  }
}

/** A working day: after that the manager signs in again. */
const SESSION_SECONDS = 12 * 60 * 60;
const PAGE_SIZE = 50;
const SCORE_BUCKET = 10;
/** The store's largest page: past it, a moved deal shows its id. */
const MOVED_DEALS_NAMED = 1000;
const SIGN_IN_RATE = { max: 20, timeWindow: 60_000 };

/** An empty form field means "any": absent. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const InspectionQuerySchema = z.object({
  owner: optional(ApiText),
  team: optional(ApiText),
  stage: optional(ApiText),
  band: optional(z.enum(['healthy', 'at_risk', 'critical'])),
  rule: optional(ApiText),
  close: optional(z.enum(Object.keys(CLOSE_PERIODS) as [ClosePeriod, ...ClosePeriod[]])),
  key: optional(z.literal('yes')),
  sort: z.enum(DEAL_SORTS).default('name'),
  dir: z.enum(['asc', 'desc']).default('asc'),
  cursor: optional(ApiText),
});

/** Only a path of this site: never `//host` or `https://host` (no open redirect). */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : pagePaths.connections;
}

function signedIn(request: FastifyRequest): boolean {
  return typeof request.session.get('signedInAt') === 'string';
}

const CRM_NAMES: Record<ConnectionSettings['provider'], string> = { hubspot: 'HubSpot', salesforce: 'Salesforce' };

export const pageRoutes: FastifyPluginAsync = async (app) => {
  const { services } = app;
  const secure = services.options.publicUrl.startsWith('https://');
  await app.register(formbody);
  await app.register(secureSession, {
    key: sessionKeyOf(services.options.apiTokens),
    cookieName: 'dealwatch_session',
    expiry: SESSION_SECONDS,
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: SESSION_SECONDS },
  });
  await app.register(csrfProtection, { sessionPlugin: '@fastify/secure-session' });

  // Pages answer errors as pages: the status and what went wrong, never internals.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const view = toHttpError(error);
    if (view.status >= 500) request.log.error({ err: error }, 'page failed');
    else request.log.info({ code: view.code, status: view.status }, 'page refused');
    const message =
      view.code === 'FST_CSRF_INVALID_TOKEN' || view.code === 'FST_CSRF_MISSING_SECRET'
        ? 'The form had expired. Go back, reload and try again.'
        : view.message;
    return reply
      .code(view.status)
      .type('text/html; charset=utf-8')
      .send(
        renderPage(
          { title: `Error ${view.status}`, csrfToken: '' },
          html`<p class="error">${message}</p><p><a href="${pagePaths.connections}">Connections</a></p>`,
        ),
      );
  });

  const stylesheet = loadStylesheet();
  app.get(STYLESHEET_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(stylesheet),
  );

  const form = z.object({ token: z.string().optional(), next: z.string().optional(), _csrf: z.string().optional() });
  app.get(pagePaths.login, { schema: { hide: true, querystring: z.object({ next: z.string().optional() }) } }, async (request, reply) => {
    const { next } = request.query as { next?: string };
    if (signedIn(request)) return reply.redirect(safeNext(next), 303);
    return reply.type('text/html; charset=utf-8').send(renderLoginPage({ csrfToken: reply.generateCsrf(), next: safeNext(next) }));
  });
  app.post(
    pagePaths.login,
    {
      schema: { hide: true, body: form },
      onRequest: app.rateLimit({ ...SIGN_IN_RATE, keyGenerator: (request) => `login:${request.ip}` }),
      preHandler: app.csrfProtection,
    },
    async (request, reply) => {
      const body = request.body as z.infer<typeof form>;
      const next = safeNext(body.next);
      if (!app.apiTokenMatches(body.token)) {
        request.log.info({ code: 'UNAUTHORIZED', status: 401 }, 'sign-in refused');
        return reply
          .code(401)
          .type('text/html; charset=utf-8')
          .send(renderLoginPage({ csrfToken: reply.generateCsrf(), next, error: 'That token is not one of this install’s API tokens.' }));
      }
      // A new session: nothing from before sign-in (the CSRF secret included) carries over.
      request.session.regenerate();
      request.session.set('signedInAt', services.clock().toISOString());
      request.log.info('signed in');
      return reply.redirect(next, 303);
    },
  );
  app.post(pagePaths.logout, { schema: { hide: true, body: form }, preHandler: app.csrfProtection }, async (request, reply) => {
    request.session.delete();
    return reply.redirect(pagePaths.login, 303);
  });

  await app.register(guardedPages);
};

/** Everything behind sign-in. */
const guardedPages: FastifyPluginAsync = async (app) => {
  const { services } = app;
  const { store } = services;
  const cursors = pageCursors(cursorKeyOf(services.options.apiTokens));

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (signedIn(request) || app.apiTokenMatches(presentedToken(request.headers.authorization))) return;
    return reply.redirect(`${pagePaths.login}?next=${encodeURIComponent(request.url)}`, 303);
  });

  const frame = (reply: FastifyReply, title: string, connection?: ConnectionSettings, current?: Frame['current']): Frame => ({
    title,
    csrfToken: reply.generateCsrf(),
    ...(connection === undefined ? {} : { connection: { id: connection.id, name: connection.name ?? connection.id } }),
    ...(current === undefined ? {} : { current }),
  });
  const send = (reply: FastifyReply, page: string) => reply.type('text/html; charset=utf-8').send(page);
  const settingsOf = (connection: ConnectionSettings) => {
    const settings = engineSettingsFromConnection(connection);
    if (!settings.ok) throw new ConfigError(settings.issues.map((i) => `connections.${connection.id}.${i}`));
    return settings.settings;
  };
  const namesOf = async (connectionId: string) => {
    const [owners, stages] = await Promise.all([store.owners.list(connectionId), store.stages.list(connectionId)]);
    const owner = new Map(owners.map((o) => [o.externalId, o.name]));
    const stage = new Map(stages.map((s) => [s.id, s.label]));
    return {
      owners,
      stages,
      ownerName: (id: string | null) => (id === null ? '-' : (owner.get(id) ?? id)),
      stageLabel: (id: string) => stage.get(id) ?? id,
    };
  };
  const page = app.withTypeProvider<ZodTypeProvider>();
  const Params = z.object({ id: ApiText });

  page.get(pagePaths.connections, { schema: { hide: true } }, async (_request, reply) => {
    const list = await Promise.all(services.connections.list().map((c) => connectionView(c, store, services.jobs)));
    return send(reply, renderPage(frame(reply, 'Connections', undefined, 'connections'), connectionsBody(list)));
  });

  page.get(
    '/connections/:id/deals',
    { schema: { hide: true, params: Params, querystring: InspectionQuerySchema } },
    async (request, reply) => {
      const connection = requireConnection(services.connections, request.params.id);
      const q = request.query as InspectionQuery;
      const settings = settingsOf(connection);
      const names = await namesOf(connection.id);
      const filter: DealListQuery = { state: 'open', sort: q.sort, direction: q.dir, limit: PAGE_SIZE };
      if (q.owner !== undefined) filter.ownerId = q.owner;
      if (q.team !== undefined)
        filter.ownerIds = connection.teams?.[q.team] ?? names.owners.filter((o) => o.team === q.team).map((o) => o.externalId);
      if (q.stage !== undefined) filter.stageId = q.stage;
      if (q.band !== undefined) filter.band = q.band;
      if (q.rule !== undefined) filter.ruleId = q.rule;
      if (q.key === 'yes') filter.keyAccount = true;
      if (q.close !== undefined) {
        const today = createDayClock(settings.timezone).dayOf(services.clock().getTime());
        const quarter = fiscalQuarter(today, settings.fiscalYearStartMonth);
        if (q.close === 'overdue') filter.closeTo = isoDateOfDay(today - 1);
        else {
          const period = q.close === 'this_quarter' ? quarter : fiscalQuarter(quarter.endDay, settings.fiscalYearStartMonth);
          Object.assign(filter, { closeFrom: period.start, closeTo: period.end });
        }
      }
      // A cursor holds for the page sequence it came from: same connection, filters and order.
      const scope = {
        connection: connection.id,
        owner: q.owner,
        team: q.team,
        stage: q.stage,
        band: q.band,
        rule: q.rule,
        close: q.close,
        key: q.key,
        sort: q.sort,
        dir: q.dir,
      };
      if (q.cursor !== undefined) filter.cursor = cursors.open(q.cursor, scope);
      const { cursor: _cursor, limit: _limit, sort: _sort, direction: _direction, ...countFilter } = filter;
      const [result, matching, histogram] = await Promise.all([
        store.deals.list(connection.id, filter),
        store.deals.countMatching(connection.id, countFilter),
        store.scores.histogram(connection.id, SCORE_BUCKET),
      ]);
      const teams = [
        ...new Set([...Object.keys(connection.teams ?? {}), ...names.owners.flatMap((o) => (o.team === null ? [] : [o.team]))]),
      ].sort();
      const body = inspectionBody({
        connectionId: connection.id,
        query: q,
        options: {
          owners: names.owners.map((o) => ({ id: o.externalId, name: o.name })).sort((a, b) => a.name.localeCompare(b.name)),
          teams,
          stages: names.stages.filter((s) => !s.isClosed).map((s) => ({ id: s.id, label: s.label })),
          rules: RULES.map((r) => r.id),
        },
        items: result.items,
        matching,
        nextCursor: result.nextCursor === null ? null : cursors.seal(result.nextCursor, scope),
        ownerName: names.ownerName,
        stageLabel: names.stageLabel,
        crmUrl: (dealId) => crmRecordUrl(connection, dealId),
        crmName: CRM_NAMES[connection.provider],
        scoreChart: scoreDistributionChart(histogram, SCORE_BUCKET),
      });
      return send(reply, renderPage(frame(reply, `${connection.name ?? connection.id}: open deals`, connection, 'deals'), body));
    },
  );

  page.get(
    '/connections/:id/deals/:dealId',
    { schema: { hide: true, params: z.object({ id: ApiText, dealId: ApiText }) } },
    async (request, reply) => {
      const connection = requireConnection(services.connections, request.params.id);
      const { dealId } = request.params;
      const deal = await store.deals.get(connection.id, dealId);
      if (deal === null) throw new DealwatchError('NOT_FOUND', `no deal "${dealId}" in connection "${connection.id}"`);
      const settings = settingsOf(connection);
      const now = services.clock();
      const clock = createDayClock(settings.timezone);
      const [score, findings, record, activities, stageHistory, names] = await Promise.all([
        store.scores.get(connection.id, dealId),
        store.findings.list(connection.id, { dealId }),
        store.findings.warningRecord(connection.id, dealId),
        store.activities.forDeals(connection.id, [dealId]),
        store.history.stageChanges(connection.id, { dealIds: [dealId] }),
        namesOf(connection.id),
      ]);
      const open = findings.filter((f) => f.status === 'open');
      const approver = await discountApprovers(store, connection)(deal.ownerId, findings);
      const body = dealBody({
        connectionId: connection.id,
        deal,
        score,
        open,
        resolved: findings.filter((f) => f.status === 'resolved'),
        activities,
        stageHistory,
        warnings: warningRecordsOf(record, findings, {
          ownerId: deal.ownerId,
          today: isoDateOfDay(clock.dayOf(now.getTime())),
          timezone: settings.timezone,
          approverName: approver?.name ?? null,
        }),
        ownerName: names.ownerName(deal.ownerId),
        stageLabel: names.stageLabel,
        crmUrl: crmRecordUrl(connection, dealId),
        crmName: CRM_NAMES[connection.provider],
        clock,
        now,
      });
      return send(reply, renderPage(frame(reply, deal.name, connection, 'deals'), body));
    },
  );

  page.get(
    '/connections/:id/forecast',
    { schema: { hide: true, params: Params, querystring: z.object({ quarter: z.coerce.number().int().min(0).max(1).default(0) }) } },
    async (request, reply) => {
      const connection = requireConnection(services.connections, request.params.id);
      const rollup = await services.reviews.rollup(connection.id, services.clock());
      return send(
        reply,
        renderPage(
          frame(reply, `${connection.name ?? connection.id}: forecast`, connection, 'forecast'),
          forecastBody(connection.id, rollup, request.query.quarter),
        ),
      );
    },
  );

  page.get(
    '/connections/:id/changes',
    { schema: { hide: true, params: Params, querystring: z.object({ from: optional(z.iso.date()), to: optional(z.iso.date()) }) } },
    async (request, reply) => {
      const connection = requireConnection(services.connections, request.params.id);
      const query = request.query as { from?: string; to?: string };
      const [changes, names] = await Promise.all([
        services.reviews.changes(connection.id, query, services.clock()),
        namesOf(connection.id),
      ]);
      // The names of the deals that moved: one keyed read, however long the period.
      const ids = [...new Set(changes.changes.map((c) => c.dealId))];
      const moved =
        ids.length === 0
          ? []
          : (await store.deals.list(connection.id, { externalIds: ids, state: 'all', includeDeleted: true, limit: MOVED_DEALS_NAMED }))
              .items;
      const dealNames = new Map(moved.map((item) => [item.deal.externalId, item.deal.name]));
      const body = changesBody(connection.id, changes, names.ownerName, (id) => dealNames.get(id) ?? id);
      return send(reply, renderPage(frame(reply, `${connection.name ?? connection.id}: pipeline changes`, connection, 'changes'), body));
    },
  );

  page.get(
    '/connections/:id/reps',
    { schema: { hide: true, params: Params, querystring: z.object({ rep: optional(ApiText) }) } },
    async (request, reply) => {
      const connection = requireConnection(services.connections, request.params.id);
      const view = await services.reviews.reps(connection.id, services.clock());
      return send(
        reply,
        renderPage(
          frame(reply, `${connection.name ?? connection.id}: reps`, connection, 'reps'),
          repsBody(connection.id, view, (request.query as { rep?: string }).rep),
        ),
      );
    },
  );

  page.get(
    '/review/:id',
    {
      schema: {
        tags: ['reports'],
        summary: 'The morning review as a web page (a signed-in browser, or the API token in Authorization)',
        security: [{ apiToken: [] }],
        params: Params,
        response: {
          200: { content: { 'text/html': { schema: z.string() } } },
          303: z.unknown().describe('not signed in: to /login'),
          404: { content: { 'text/html': { schema: z.string() } } },
        },
      },
    },
    async (request, reply) => {
      const connection = requireConnection(services.connections, request.params.id);
      const review = await services.reviews.review(connection.id, services.clock());
      return send(reply, renderReviewPage(connection.name ?? connection.id, review));
    },
  );
};
