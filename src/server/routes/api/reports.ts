import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiText, ErrorBody } from '../../api-schemas.js';
import {
  BacktestReportSchema,
  ChangesReport,
  ForecastReport,
  KpiReport,
  RepsReport,
  ReviewReport,
  RollupReport,
} from '../../report-schemas.js';
import { MAX_CHANGES_RANGE_DAYS } from '../../report-range.js';
import { FORECAST_PERIODS, KPI_PERIODS } from '../../review-service.js';
import { requireConnection } from './connection-guard.js';

const IdParams = z.object({ id: ApiText });
const day = z.iso.date();

/** The manager's reports: the same ReviewService `dealwatch report` prints. */
export const reportRoutes: FastifyPluginAsync = async (app) => {
  const { services } = app;
  const api = app.withTypeProvider<ZodTypeProvider>();
  const common = { tags: ['reports'], security: [{ apiToken: [] }], params: IdParams };
  const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 429: ErrorBody, 503: ErrorBody };

  api.get(
    '/connections/:id/review',
    { schema: { ...common, summary: 'The morning review', response: { 200: ReviewReport, ...errors } } },
    async (request) => {
      const connection = requireConnection(services.connections, request.params.id);
      return services.reviews.review(connection.id, services.clock());
    },
  );

  api.get(
    '/connections/:id/kpis',
    {
      schema: {
        ...common,
        summary: 'KPIs per rep',
        querystring: z.object({
          period: z.enum(KPI_PERIODS).optional().describe('default: trailing 30 days and quarter to date, each with the period before'),
          owner: ApiText.optional(),
          team: ApiText.optional(),
        }),
        response: { 200: KpiReport, ...errors },
      },
    },
    async (request) => {
      const connection = requireConnection(services.connections, request.params.id);
      return services.reviews.kpis(connection.id, request.query, services.clock());
    },
  );

  api.get(
    '/connections/:id/forecast',
    {
      schema: {
        ...common,
        summary: 'Forecast built on historical win rates',
        querystring: z.object({ period: z.enum(FORECAST_PERIODS).optional().describe('default: the current fiscal quarter') }),
        response: { 200: ForecastReport, ...errors },
      },
    },
    async (request) => {
      const connection = requireConnection(services.connections, request.params.id);
      return services.reviews.forecast(connection.id, request.query, services.clock());
    },
  );

  api.get(
    '/connections/:id/changes',
    {
      schema: {
        ...common,
        summary: `Pipeline changes between two days (default: the last 7 days; at most ${MAX_CHANGES_RANGE_DAYS} days, 3 years)`,
        querystring: z.object({
          from: day
            .optional()
            .describe(`first day (default: 7 days before to); on or before to, at most ${MAX_CHANGES_RANGE_DAYS} days (3 years) before it`),
          to: day.optional().describe("last day (default: today in the connection's time zone)"),
        }),
        response: { 200: ChangesReport, ...errors },
      },
    },
    async (request) => {
      const connection = requireConnection(services.connections, request.params.id);
      return services.reviews.changes(connection.id, request.query, services.clock());
    },
  );

  api.get(
    '/connections/:id/rollup',
    {
      schema: {
        ...common,
        summary: 'Forecast roll-up per rep, team and total for this and next fiscal quarter, against quota',
        response: { 200: RollupReport, ...errors },
      },
    },
    async (request) => {
      const connection = requireConnection(services.connections, request.params.id);
      return services.reviews.rollup(connection.id, services.clock());
    },
  );

  api.get(
    '/connections/:id/backtest',
    {
      schema: {
        ...common,
        summary: 'Each forecast method replayed at the start and middle of past quarters, against what was won',
        querystring: z.object({
          quarters: z.coerce.number().int().min(1).max(12).optional().describe('complete past quarters to test (default 4)'),
        }),
        response: { 200: BacktestReportSchema, ...errors },
      },
    },
    async (request) => {
      const connection = requireConnection(services.connections, request.params.id);
      return services.reviews.backtest(connection.id, request.query, services.clock());
    },
  );

  api.get(
    '/connections/:id/reps',
    { schema: { ...common, summary: 'Reps with their pipeline and compliance', response: { 200: RepsReport, ...errors } } },
    async (request) => {
      const connection = requireConnection(services.connections, request.params.id);
      return services.reviews.reps(connection.id, services.clock());
    },
  );
};
