/**
 * Every operation of the OpenAPI document (/docs/json), fuzzed over HTTP against the running
 * server on a seeded store and real queues, with requests generated from the document itself
 * (support/openapi-requests.ts). For every answer: never a 5xx, no stack trace or internal detail,
 * a 4xx of the JSON API names the offending field, an answer within the time bound, nothing queued
 * by a refused request; after the run the store holds exactly what it held before and the server
 * still answers.
 */
import http from 'node:http';
import pg from 'pg';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server/server.js';
import { fuzz, longFuzz } from '../../support/fuzz.js';
import { POSTGRES_URL, postgresAvailable, redisAvailable } from '../../support/services.js';
import { API_TOKEN } from './support/app.js';
import {
  exampleRequest,
  operationsOf,
  requestFor,
  targetsOf,
  ValuePool,
  type GeneratedRequest,
  type OpenApiDocument,
  type Operation,
} from './support/openapi-requests.js';
import { openSeededApi, type SeededApi } from './support/seeded-api.js';

const ok = (await redisAvailable()) && (await postgresAvailable());

/** Runs per operation and target (each parameter, the body, ...) under `npm test` (scaled up by `npm run fuzz`). */
const RUNS_PER_TARGET = 5;
/** Slowest acceptable answer; generous because the test machine is shared. */
const TIME_BOUND_MS = longFuzz ? 10_000 : 5_000;

interface Answer {
  status: number;
  body: string;
  contentType: string;
  ms: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function send(base: string, req: GeneratedRequest): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const request = http.request({ hostname, port, method: req.method, path: req.url, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          contentType: String(res.headers['content-type'] ?? ''),
          ms: performance.now() - started,
        }),
      );
      res.on('error', reject);
    });
    request.on('error', reject);
    request.end(req.body);
  });
}

/** What no answer may carry: stack frames, file paths, SQL or driver errors, the token, the schema. */
function internalDetail(body: string, schema: string): string | undefined {
  const patterns: [string, RegExp][] = [
    ['a stack frame', /\n\s+at [^\n]+:\d+:\d+/],
    ['a source path', /(\/work\/|node_modules|\.ts:\d+|file:\/\/)/],
    ['a JavaScript error name', /\b(TypeError|RangeError|ReferenceError|SyntaxError|URIError)\b/],
    ['SQL or a database error', /\b(SELECT|INSERT|UPDATE)\s.+\bFROM\b|relation "|syntax error at|duplicate key|violates/i],
    ['a driver or network error', /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ReplyError|WRONGTYPE|NOSCRIPT)\b/],
  ];
  for (const [what, pattern] of patterns) if (pattern.test(body)) return what;
  if (body.includes(API_TOKEN)) return 'the API token';
  if (body.includes(schema)) return 'the database schema';
  return undefined;
}

/** The names a 400 of `op` may blame: its parameters and body fields ('' is the body as a whole). */
function fieldsOf(op: Operation): Set<string> {
  return new Set([
    '',
    ...op.pathParams.map((p) => p.name),
    ...op.queryParams.map((p) => p.name),
    ...Object.keys(op.body?.properties ?? {}),
  ]);
}

/** The properties every answer keeps; throws with the reason. */
function checkAnswer(op: Operation, req: GeneratedRequest, answer: Answer, schema: string): void {
  const url = req.url.length > 160 ? `${req.url.slice(0, 160)}...(${req.url.length} chars)` : req.url;
  const where = `${req.method} ${url} -> ${answer.status} ${answer.body.slice(0, 400)}`;
  expect(answer.status, where).toBeGreaterThanOrEqual(200);
  expect(answer.status, where).toBeLessThan(500);
  expect(internalDetail(answer.body, schema), where).toBeUndefined();
  expect(answer.ms, `${where}\nanswered in ${Math.round(answer.ms)} ms`).toBeLessThan(TIME_BOUND_MS);
  if (answer.status === 431) {
    // node's HTTP parser refuses a request line or headers over 16 KiB before the app sees them
    expect(answer.body, where).toMatch(/header/i);
    return;
  }
  if (answer.status < 400 || !answer.contentType.includes('application/json')) return;
  if (!op.template.startsWith('/api/') && !op.template.startsWith('/review/')) return;
  const error = (JSON.parse(answer.body) as { error: { code: string; message: string } }).error;
  switch (answer.status) {
    case 400: {
      const named = /^(querystring|params|body|headers)(?:\/([^ ,]*))?(?: |$)/.exec(error.message);
      expect(named, `${where}\na 400 names the part and field it refuses`).not.toBeNull();
      if (named![1] !== 'headers' && named![2] !== undefined)
        expect(fieldsOf(op).has(named![2]), `${where}\n"${named![2]}" is not a field of ${op.template}`).toBe(true);
      break;
    }
    case 401:
      expect(error.code, where).toBe('UNAUTHORIZED');
      expect(error.message, `${where}\na 401 names the header it refuses`).toMatch(/Authorization/);
      break;
    case 404:
      expect(error.code, where).toBe('NOT_FOUND');
      expect(
        error.message === 'no such route' || req.pathValues.some((v) => error.message.includes(`"${v}"`)),
        `${where}\na 404 names what it did not find`,
      ).toBe(true);
      break;
    case 413:
      expect(error.message, where).toMatch(/body/);
      break;
    case 414:
      expect(error.message, where).toMatch(/^params /);
      break;
    case 415:
      expect(error.message, where).toMatch(/^headers\/content-type /);
      break;
    default:
      expect.unreachable(`${where}\nno rule for this status`);
  }
}

/** Every row of every table of the suite's schema, digested: equal before and after means nothing was written. */
async function storeFingerprint(schema: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    );
    const out: Record<string, string> = {};
    for (const { table_name } of tables.rows) {
      const row = await client.query<{ n: string; digest: string | null }>(
        `SELECT count(*) AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM "${schema}"."${table_name}" t`,
      );
      out[table_name] = `${row.rows[0]!.n}:${row.rows[0]!.digest ?? ''}`;
    }
    return out;
  } finally {
    await client.end();
  }
}

describe.skipIf(!ok)('every OpenAPI operation under generated input', () => {
  let api: SeededApi;
  let server: RunningServer;
  let operations: Operation[];
  const pool = new ValuePool();

  beforeAll(async () => {
    api = await openSeededApi({
      options: { apiRateLimit: { max: 1_000_000, timeWindowMs: 60_000 }, webhookRateLimit: { max: 1_000_000, timeWindowMs: 60_000 } },
    });
    server = await startServer(api.t.deps, { host: '127.0.0.1', port: 0 });
    const doc = await fetch(`${server.url}/docs/json`);
    operations = operationsOf((await doc.json()) as OpenApiDocument);
  });
  afterAll(async () => {
    agent.destroy();
    await server?.close();
    await api?.close();
  });

  it('answers every documented API operation with valid input (the crawl that fills the value pool)', async () => {
    expect(operations.length).toBeGreaterThanOrEqual(14);
    // Three rounds: list routes give connection ids, which give deal ids and cursors.
    const answered = new Map<string, number[]>();
    for (let round = 0; round < 3; round += 1) {
      for (const op of operations) {
        if (answered.get(`${op.method} ${op.template}`)?.some((s) => s < 300)) continue;
        for (let pick = 0; pick < 6; pick += 1) {
          const req = exampleRequest(op, pool, API_TOKEN, Math.floor(pick / 3), pick % 3);
          if (req === undefined) continue;
          const answer = await send(server.url, req);
          checkAnswer(op, req, answer, api.schema);
          answered.set(`${op.method} ${op.template}`, [...(answered.get(`${op.method} ${op.template}`) ?? []), answer.status]);
          if (answer.status < 300 && answer.contentType.includes('application/json')) pool.harvest(JSON.parse(answer.body));
        }
      }
    }
    // every operation of the manager API reached its handler and succeeded at least once
    for (const op of operations.filter((o) => o.template.startsWith('/api/') || o.template.startsWith('/review/'))) {
      expect(
        answered.get(`${op.method} ${op.template}`)?.some((s) => s < 300),
        `${op.method} ${op.template}: ${answered.get(`${op.method} ${op.template}`)}`,
      ).toBe(true);
    }
    expect(pool.valuesFor('cursor').length).toBeGreaterThan(0);
  });

  it('never answers 5xx, leaks nothing, names the refused field, stays fast, and queues or writes nothing it refused', async () => {
    const before = await storeFingerprint(api.schema);
    for (const op of operations) {
      for (const target of targetsOf(op)) {
        await fuzz(
          `${op.method} ${op.template} ${target}`,
          fc.asyncProperty(requestFor(op, pool, API_TOKEN, target), async (req) => {
            const jobsBefore = await api.t.totalJobs();
            const answer = await send(server.url, req);
            checkAnswer(op, req, answer, api.schema);
            if (answer.status >= 400)
              expect(await api.t.totalJobs(), `${req.method} ${req.url} -> ${answer.status} queued a job`).toBe(jobsBefore);
          }),
          target === 'all' ? RUNS_PER_TARGET * 3 : RUNS_PER_TARGET,
        );
      }
    }
    expect(await storeFingerprint(api.schema)).toEqual(before);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    const list = await fetch(`${server.url}/api/v1/connections`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(list.status).toBe(200);
  });
});
