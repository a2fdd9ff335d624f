/**
 * Bulk API 2.0 query jobs: `POST /jobs/query` (query or queryAll), `GET /jobs/query/{id}`,
 * `GET /jobs/query/{id}/results` as CSV paged by `maxRecords` and the `Sforce-Locator` header
 * ("null" on the last page), `DELETE` and abort. Jobs complete at once: the result set is the
 * snapshot taken when the job was created, in the query's ORDER BY order when it has one (Bulk API 2.0
 * accepts ORDER BY and LIMIT, which turn its PK chunking off: `isPkChunkingSupported` is then false).
 * Refused at creation, as Salesforce documents: COUNT(), parent-to-child subqueries, OFFSET.
 * https://developer.salesforce.com/docs/platform/api-asynch/guide/queries.html
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { formatValue, type CompiledQuery } from '../soql/execute.js';
import { sfError, type SalesforceContext } from './context.js';
import { INTEGRATION_USER } from './schema.js';

interface QueryJob {
  id: string;
  operation: 'query' | 'queryAll';
  object: string;
  createdDate: string;
  state: 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Aborted' | 'Failed';
  apiVersion: number;
  compiled: CompiledQuery;
}

// Salesforce sizes pages by memory when maxRecords is absent; one large page keeps jsforce (which pipes
// every page into one CSV parser) reading whole records.
const DEFAULT_MAX_RECORDS = 1_000_000;
/** Objects of the sandbox that Salesforce documents as supporting PK chunking (history and junction objects do not). */
const PK_CHUNKING_OBJECTS = new Set(['Account', 'Event', 'Opportunity', 'Task', 'User']);

export function registerBulkQueryRoutes(
  app: FastifyInstance,
  ctx: SalesforceContext,
  deps: {
    compile(soql: string, includeDeleted: boolean): CompiledQuery;
    queryError(reply: FastifyReply, err: unknown): unknown;
    apiVersion(request: FastifyRequest): string;
  },
): void {
  const jobs = new Map<string, QueryJob>();
  const info = (job: QueryJob) => ({
    id: job.id,
    operation: job.operation,
    object: job.object,
    createdById: INTEGRATION_USER.id,
    createdDate: job.createdDate,
    systemModstamp: job.createdDate,
    state: job.state,
    concurrencyMode: 'Parallel',
    contentType: 'CSV',
    apiVersion: job.apiVersion,
    jobType: 'V2Query',
    lineEnding: 'LF',
    columnDelimiter: 'COMMA',
    ...(job.state === 'JobComplete' ? { numberRecordsProcessed: job.compiled.rows.length, retries: 0, totalProcessingTime: 1 } : {}),
    isPkChunkingSupported: PK_CHUNKING_OBJECTS.has(job.object) && !job.compiled.ordered,
  });
  const notFound = (reply: FastifyReply) => reply.code(404).send(sfError('NOT_FOUND', 'The requested resource does not exist'));

  app.post(
    '/services/data/:version/jobs/query',
    async (request: FastifyRequest<{ Body: { operation?: string; query?: string } }>, reply) => {
      const body = request.body ?? {};
      const operation =
        body.operation === 'queryAll' ? 'queryAll' : body.operation === 'query' || body.operation === undefined ? 'query' : null;
      if (!operation) return reply.code(400).send(sfError('INVALIDJOB', `Invalid operation: ${String(body.operation)}`));
      if (!body.query) return reply.code(400).send(sfError('INVALIDJOB', 'query is required'));
      let compiled: CompiledQuery;
      try {
        compiled = deps.compile(body.query, operation === 'queryAll');
      } catch (err) {
        return deps.queryError(reply, err);
      }
      if (compiled.count) return reply.code(400).send(sfError('INVALIDJOB', 'COUNT() is not supported by Bulk API query jobs'));
      if (compiled.subqueries.length > 0)
        return reply.code(400).send(sfError('INVALIDJOB', 'Bulk API 2.0 does not support parent-to-child relationship queries'));
      if (compiled.offset !== null) return reply.code(400).send(sfError('INVALIDJOB', 'Bulk API 2.0 does not support the OFFSET clause'));
      const job: QueryJob = {
        id: `750${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 15)}`,
        operation,
        object: compiled.table.name,
        createdDate: new Date(ctx.store.now()).toISOString().replace('Z', '+0000'),
        state: 'JobComplete',
        apiVersion: Number(deps.apiVersion(request)),
        compiled,
      };
      jobs.set(job.id, job);
      return { ...info(job), state: 'UploadComplete' };
    },
  );

  app.get('/services/data/:version/jobs/query/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const job = jobs.get(request.params.id);
    return job ? info(job) : notFound(reply);
  });

  app.patch(
    '/services/data/:version/jobs/query/:id',
    async (request: FastifyRequest<{ Params: { id: string }; Body: { state?: string } }>, reply) => {
      const job = jobs.get(request.params.id);
      if (!job) return notFound(reply);
      if (request.body?.state === 'Aborted') job.state = 'Aborted';
      return info(job);
    },
  );

  app.delete('/services/data/:version/jobs/query/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    if (!jobs.delete(request.params.id)) return notFound(reply);
    return reply.code(204).send();
  });

  app.get(
    '/services/data/:version/jobs/query/:id/results',
    async (request: FastifyRequest<{ Params: { id: string }; Querystring: { locator?: string; maxRecords?: string } }>, reply) => {
      const job = jobs.get(request.params.id);
      if (!job) return notFound(reply);
      if (job.state !== 'JobComplete') return reply.code(400).send(sfError('INVALIDJOB', `Job is in state ${job.state}`));
      const offset = request.query.locator ? Number(Buffer.from(request.query.locator, 'base64url').toString('utf8')) : 0;
      if (!Number.isInteger(offset) || offset < 0) return reply.code(400).send(sfError('INVALID_LOCATOR', 'Invalid locator'));
      const max = request.query.maxRecords ? Number(request.query.maxRecords) : DEFAULT_MAX_RECORDS;
      if (!Number.isInteger(max) || max < 1) return reply.code(400).send(sfError('INVALIDJOB', 'maxRecords must be a positive integer'));
      const { compiled } = job;
      const end = Math.min(offset + max, compiled.rows.length);
      const header = compiled.fields.map((f) => f.path.text);
      const lines: unknown[][] = [header];
      for (const row of compiled.rows.slice(offset, end)) {
        lines.push(
          compiled.fields.map((f) => {
            const v = formatValue(f.field, f.get(row));
            // Bulk CSV writes datetimes as ISO-8601 with Z, empty for null.
            if (v === null) return '';
            if (f.field.type === 'datetime' && typeof v === 'string') return v.replace('+0000', 'Z');
            return v;
          }),
        );
      }
      const csv = stringify(lines, { cast: { boolean: (b) => String(b) } });
      reply.header('Sforce-Locator', end < compiled.rows.length ? Buffer.from(String(end)).toString('base64url') : 'null');
      reply.header('Sforce-NumberOfRecords', String(end - offset));
      reply.header('Content-Type', 'text/csv');
      return reply.send(csv);
    },
  );
}
