/**
 * The Salesforce REST subset under `/services/data/vXX.X/` (instanceUrl = the sandbox origin):
 * versions, query/queryAll with cursors, sObject reads and writes, sObject Collections, describe,
 * limits, and Bulk API 2.0 query jobs. Every response carries `Sforce-Limit-Info`; past the daily
 * limit every call gets 403 REQUEST_LIMIT_EXCEEDED; expired sessions get 401 INVALID_SESSION_ID.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseSoql, SoqlSyntaxError } from '../soql/parser.js';
import { executeSoql, SoqlError, type CompiledQuery } from '../soql/execute.js';
import { sfError, type SalesforceContext } from './context.js';
import { createCustomField } from './tooling.js';
import { QueryCursors } from './cursors.js';
import { describeTable } from './describe.js';
import { renderFullRecord, renderQueryRecord } from './records.js';
import { salesforceTables } from './schema.js';
import {
  createActivityRecord,
  createContentDocumentLink,
  createContentNote,
  updateContentNote,
  updateOpportunity,
  updateTaskRecord,
  type SfRecordError,
  type WriteOutcome,
} from './writes.js';
import { checkContentDocumentLinkQuery } from './content-query.js';
import { registerBulkQueryRoutes } from './bulk.js';

export const SUPPORTED_API_VERSIONS = Array.from({ length: 25 }, (_, i) => `${40 + i}.0`);
const RELEASE_NAMES = ['Summer', 'Winter', 'Spring'];
const DEFAULT_BATCH = 2000;
const COLLECTION_MAX = 200;

type Req<P = Record<string, string>, B = unknown, Q = Record<string, unknown>> = FastifyRequest<{ Params: P; Body: B; Querystring: Q }>;

export function salesforceRoutes(ctx: SalesforceContext) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    const cursors = new QueryCursors(
      () => ctx.cursorTtlMs,
      () => ctx.store.now(),
    );

    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('Sforce-Limit-Info', `api-usage=${ctx.apiUsed}/${ctx.dailyApiRequests}`);
      return payload;
    });

    app.get('/services/data', async () => versionList());
    function versionList() {
      return SUPPORTED_API_VERSIONS.map((v) => {
        const n = Number(v) - 40;
        return {
          label: `${RELEASE_NAMES[n % 3]} '${String(17 + Math.floor((n + 1) / 3)).padStart(2, '0')}`,
          url: `/services/data/v${v}`,
          version: v,
        };
      });
    }

    await app.register(async (data) => {
      data.addHook('onRequest', async (request, reply) => {
        const version = /^\/services\/data\/v(\d+\.\d)(\/|$|\?)/.exec(request.url)?.[1];
        if (!version || !SUPPORTED_API_VERSIONS.includes(version)) {
          return reply.code(404).send(sfError('NOT_FOUND', 'The requested resource does not exist'));
        }
        const auth = request.headers.authorization ?? '';
        const token = auth.replace(/^(Bearer|OAuth)\s+/i, '');
        const state = ctx.checkToken(token);
        if (state !== 'ok') return reply.code(401).send(sfError('INVALID_SESSION_ID', 'Session expired or invalid'));
        if (ctx.apiUsed >= ctx.dailyApiRequests) {
          return reply.code(403).send(sfError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'));
        }
        ctx.apiUsed++;
        return undefined;
      });

      data.get('/services/data/:version', async (request: Req<{ version: string }>) => resources(request.params.version.slice(1)));
      function resources(v: string) {
        const base = `/services/data/v${v}`;
        return {
          tooling: `${base}/tooling`,
          metadata: `${base}/metadata`,
          jobs: `${base}/jobs`,
          sobjects: `${base}/sobjects`,
          query: `${base}/query`,
          queryAll: `${base}/queryAll`,
          limits: `${base}/limits`,
          composite: `${base}/composite`,
          search: `${base}/search`,
          recent: `${base}/recent`,
        };
      }

      const apiVersion = (request: FastifyRequest) => /\/v(\d+\.\d)\//.exec(request.url)?.[1] ?? '59.0';

      const compile = (soql: string, includeDeleted: boolean): CompiledQuery => {
        const parsed = parseSoql(soql);
        checkContentDocumentLinkQuery(parsed);
        return executeSoql(salesforceTables(ctx), parsed, { includeDeleted, now: ctx.store.now() });
      };
      const queryError = (reply: FastifyReply, err: unknown) => {
        if (err instanceof SoqlSyntaxError)
          return reply.code(400).send(sfError('MALFORMED_QUERY', `\nERROR at Row:1:Column:${err.pos + 1}\n${err.message}`));
        if (err instanceof SoqlError) return reply.code(400).send(sfError(err.errorCode, err.message));
        throw err;
      };

      const batchSizeOf = (request: FastifyRequest): number => {
        const header = String(request.headers['sforce-query-options'] ?? '');
        const m = /batchSize\s*=\s*(\d+)/i.exec(header);
        if (!m) return DEFAULT_BATCH;
        // Salesforce honours 200..2000; it is a hint, not a guarantee.
        return Math.min(2000, Math.max(200, Number(m[1])));
      };

      const page = (request: FastifyRequest, compiled: CompiledQuery, offset: number, batchSize: number, cursorId: string | null) => {
        const v = apiVersion(request);
        if (compiled.count) return { totalSize: compiled.totalSize, done: true, records: [] };
        const end = Math.min(offset + batchSize, compiled.rows.length);
        const records = compiled.rows.slice(offset, end).map((r) => renderQueryRecord(compiled, r, v));
        let id = cursorId;
        const done = end >= compiled.rows.length;
        if (!done && id === null) id = cursors.open(compiled, batchSize);
        if (done && id !== null) cursors.close(id);
        return {
          totalSize: compiled.totalSize,
          done,
          ...(done ? {} : { nextRecordsUrl: `/services/data/v${v}/query/${id}-${end}` }),
          records,
        };
      };

      const runQuery =
        (includeDeleted: boolean) => async (request: Req<Record<string, string>, unknown, { q?: string }>, reply: FastifyReply) => {
          const q = request.query.q;
          if (!q) return reply.code(400).send(sfError('MALFORMED_QUERY', 'A query string has to be specified'));
          let compiled: CompiledQuery;
          try {
            compiled = compile(q, includeDeleted);
          } catch (err) {
            return queryError(reply, err);
          }
          return page(request, compiled, 0, batchSizeOf(request), null);
        };
      data.get('/services/data/:version/query', runQuery(false));
      data.get('/services/data/:version/queryAll', runQuery(true));
      const more = async (request: Req<{ version: string; locator: string }>, reply: FastifyReply) => {
        const found = cursors.take(request.params.locator);
        if (!found) return reply.code(400).send(sfError('INVALID_QUERY_LOCATOR', 'invalid query locator'));
        return page(request, found.cursor.compiled, found.offset, found.cursor.batchSize, found.id);
      };
      data.get('/services/data/:version/query/:locator', more);
      data.get('/services/data/:version/queryAll/:locator', more);

      data.get('/services/data/:version/limits', async () => ({
        DailyApiRequests: { Max: ctx.dailyApiRequests, Remaining: Math.max(0, ctx.dailyApiRequests - ctx.apiUsed) },
        DailyBulkV2QueryJobs: { Max: 10000, Remaining: 10000 },
        DailyBulkV2QueryFileStorageMB: { Max: 976562, Remaining: 976562 },
        DailyAsyncApexExecutions: { Max: 250000, Remaining: 250000 },
        DataStorageMB: { Max: 1024, Remaining: 1000 },
        FileStorageMB: { Max: 1024, Remaining: 1024 },
        SingleEmail: { Max: 15, Remaining: 15 },
      }));

      const tableOr404 = (name: string, reply: FastifyReply) => {
        const t = salesforceTables(ctx).get(name.toLowerCase());
        if (!t) {
          void reply.code(404).send(sfError('NOT_FOUND', 'The requested resource does not exist'));
          return null;
        }
        return t;
      };

      data.get('/services/data/:version/sobjects/:type/describe', async (request: Req<{ version: string; type: string }>, reply) => {
        const t = tableOr404(request.params.type, reply);
        return t ? describeTable(t, apiVersion(request), ctx.store) : reply;
      });

      data.get(
        '/services/data/:version/sobjects/:type/:id',
        async (request: Req<{ version: string; type: string; id: string }, unknown, { fields?: string }>, reply) => {
          const t = tableOr404(request.params.type, reply);
          if (!t) return reply;
          const row = t.rowById(request.params.id);
          if (row === undefined || t.isDeleted(row) || !t.belongs(row))
            return reply.code(404).send(sfError('NOT_FOUND', 'The requested resource does not exist'));
          const only = request.query.fields
            ?.split(',')
            .map((s) => s.trim())
            .filter(Boolean);
          if (only) {
            const unknown = only.find((f) => !t.field(f));
            if (unknown) return reply.code(400).send(sfError('INVALID_FIELD', `No such column '${unknown}' on sobject of type ${t.name}`));
          }
          return renderFullRecord(t, row, apiVersion(request), only);
        },
      );

      // A base64 field's blob (ContentNote Content: the note's HTML).
      data.get(
        '/services/data/:version/sobjects/:type/:id/:field',
        async (request: Req<{ version: string; type: string; id: string; field: string }>, reply) => {
          const t = tableOr404(request.params.type, reply);
          if (!t) return reply;
          const row = t.rowById(request.params.id);
          const f = t.field(request.params.field);
          if (row === undefined || t.isDeleted(row) || !f || f.type !== 'base64')
            return reply.code(404).send(sfError('NOT_FOUND', 'The requested resource does not exist'));
          const v = f.get(row);
          return reply.type('application/octetstream').send(Buffer.from(typeof v === 'string' ? v : '', 'base64'));
        },
      );

      const writeOne = (type: string, values: Record<string, unknown>, id: string | null, apply: boolean): WriteOutcome => {
        const t = salesforceTables(ctx).get(type.toLowerCase());
        if (!t)
          return {
            ok: false,
            status: 404,
            error: { statusCode: 'NOT_FOUND', message: 'The requested resource does not exist', fields: [] },
          };
        if (id !== null) {
          if (t.name === 'Task') return updateTaskRecord(ctx, t, id, values, apply);
          if (t.name === 'ContentNote') return updateContentNote(ctx, t, id, values, apply);
          if (t.name !== 'Opportunity')
            return {
              ok: false,
              status: 400,
              error: {
                statusCode: 'INVALID_TYPE_FOR_OPERATION',
                message: `The sandbox accepts updates on Opportunity, Task and ContentNote only, not ${t.name}`,
                fields: [],
              },
            };
          return updateOpportunity(ctx, t, id, values, apply);
        }
        if (t.name === 'ContentNote') return createContentNote(ctx, t, values, apply);
        if (t.name === 'ContentDocumentLink') return createContentDocumentLink(ctx, t, values, apply);
        if (t.name !== 'Task' && t.name !== 'Event') {
          return {
            ok: false,
            status: 400,
            error: {
              statusCode: 'INVALID_TYPE_FOR_OPERATION',
              message: `The sandbox creates Task, Event, ContentNote and ContentDocumentLink records only, not ${t.name}`,
              fields: [],
            },
          };
        }
        return createActivityRecord(ctx, t, values, apply);
      };
      // REST error bodies name `fields` only for field errors (documented examples: MALFORMED_ID with
      // fields, NOT_FOUND without); collection SaveResults always carry `fields`.
      const toErrorArray = (e: SfRecordError) => [
        { message: e.message, errorCode: e.statusCode, ...(e.fields.length > 0 ? { fields: e.fields } : {}) },
      ];

      data.patch(
        '/services/data/:version/sobjects/:type/:id',
        async (request: Req<{ version: string; type: string; id: string }, Record<string, unknown>>, reply) => {
          const outcome = writeOne(request.params.type, request.body ?? {}, request.params.id, true);
          if (!outcome.ok) return reply.code(outcome.status).send(toErrorArray(outcome.error));
          return reply.code(204).send();
        },
      );

      data.post(
        '/services/data/:version/sobjects/:type',
        async (request: Req<{ version: string; type: string }, Record<string, unknown>>, reply) => {
          const outcome = writeOne(request.params.type, request.body ?? {}, null, true);
          if (!outcome.ok) return reply.code(outcome.status).send(toErrorArray(outcome.error));
          return reply.code(201).send({ id: outcome.id, success: true, errors: [] });
        },
      );

      const collection =
        (mode: 'create' | 'update') =>
        async (request: Req<{ version: string }, { allOrNone?: boolean; records?: Record<string, unknown>[] }>, reply: FastifyReply) => {
          const records = request.body?.records ?? [];
          if (records.length > COLLECTION_MAX) {
            return reply
              .code(400)
              .send(sfError('EXCEEDED_ID_LIMIT', `record limit reached. cannot submit more than ${COLLECTION_MAX} records into this call`));
          }
          const allOrNone = request.body?.allOrNone === true;
          const typeOf = (r: Record<string, unknown>) => (r['attributes'] as { type?: string } | undefined)?.type ?? '';
          const idOf = (r: Record<string, unknown>) => (mode === 'update' ? String(r['id'] ?? r['Id'] ?? '') : null);
          if (allOrNone) {
            const checks = records.map((r) => writeOne(typeOf(r), r, idOf(r), false));
            if (checks.some((c) => !c.ok)) {
              return checks.map((c) =>
                c.ok
                  ? {
                      success: false,
                      errors: [
                        {
                          statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                          message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
                          fields: [],
                        },
                      ],
                    }
                  : { success: false, errors: [c.error] },
              );
            }
          }
          return records.map((r) => {
            const outcome = writeOne(typeOf(r), r, idOf(r), true);
            return outcome.ok
              ? { id: outcome.id, success: true, errors: [] }
              : { ...(mode === 'update' && idOf(r) ? { id: idOf(r) } : {}), success: false, errors: [outcome.error] };
          });
        };
      // https://developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/tooling_api_objects_customfield.htm
      data.post('/services/data/:version/tooling/sobjects/CustomField', async (request: Req<{ version: string }, unknown>, reply) => {
        const outcome = createCustomField(ctx, request.body);
        return reply.code(outcome.status).send(outcome.body);
      });
      data.post('/services/data/:version/composite/sobjects', collection('create'));
      data.patch('/services/data/:version/composite/sobjects', collection('update'));

      registerBulkQueryRoutes(data, ctx, { compile, queryError, apiVersion });
    });
  };
}
