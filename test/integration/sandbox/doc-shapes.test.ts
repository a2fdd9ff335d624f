/**
 * A recorded response from each provider's docs (test/fixtures/sandbox-docs, source URL beside
 * each) and the sandbox's answer to the same request have the same shape: the same keys with the
 * same JSON types, recursively (first element of arrays; keys the docs mark optional may be absent).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';

interface DocFixture {
  _source: string;
  request: { method: string; path: string; body?: unknown; headers?: Record<string, string> };
  response: unknown;
  optionalKeys: string[];
}

const dir = fileURLToPath(new URL('../../fixtures/sandbox-docs/', import.meta.url));
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, fixture: JSON.parse(readFileSync(`${dir}${f}`, 'utf8')) as DocFixture }));

/** Opaque maps: their keys depend on the request (requested properties), not on the shape. */
const OPAQUE = new Set(['results[].properties']);

function shape(value: unknown, path: string, optional: Set<string>): unknown {
  if (OPAQUE.has(path)) return 'object';
  if (Array.isArray(value)) return value.length === 0 ? 'array' : [shape(value[0], `${path}[]`, optional)];
  if (value === null) return 'null';
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      const child = path ? `${path}.${key}` : key;
      if (optional.has(child)) continue;
      out[key] = shape((value as Record<string, unknown>)[key], child, optional);
    }
    return out;
  }
  return typeof value;
}

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ deals: 500, seed: 8, now: new Date('2026-11-26T12:00:00Z'), rateLimit: false });
});
afterAll(async () => {
  await sandbox.close();
});

async function ask(f: DocFixture): Promise<unknown> {
  const isHubSpot = f.request.path.startsWith('/crm/');
  const deal = isHubSpot ? sandbox.state.hubspot.deals[0]!.id : sandbox.state.salesforce.deals[0]!.id;
  const token = isHubSpot ? sandbox.hubspot.accessToken : sandbox.salesforce.accessToken;
  let path = f.request.path;
  if (path.includes('$JOB')) {
    const job = await fetch(`${sandbox.salesforce.instanceUrl}/services/data/v59.0/jobs/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ operation: 'query', query: 'SELECT Id, Name FROM Account' }),
    });
    path = path.replace('$JOB', ((await job.json()) as { id: string }).id);
  }
  const body =
    f.request.body === undefined ? undefined : JSON.stringify(f.request.body).replaceAll('$DEAL', deal).replaceAll('$OPPORTUNITY', deal);
  const base = isHubSpot ? sandbox.hubspot.baseUrl : sandbox.salesforce.instanceUrl;
  const res = await fetch(`${base}${path}`, {
    method: f.request.method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...(f.request.headers ?? {}) },
    ...(body ? { body } : {}),
  });
  return res.json();
}

describe('sandbox responses have the documented shapes', () => {
  it.each(fixtures)('$file', async ({ fixture }) => {
    expect(fixture._source).toMatch(/^https:\/\/developer(s)?\.(hubspot|salesforce)\.com\//);
    const optional = new Set(fixture.optionalKeys);
    const got = await ask(fixture);
    expect(shape(got, '', optional)).toEqual(shape(fixture.response, '', optional));
  });
});
