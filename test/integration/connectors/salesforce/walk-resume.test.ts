/**
 * Full walks against the sandbox over loopback: a Bulk API 2.0 walk ordered by (SystemModstamp, Id)
 * stopped after its first page continues on a new connector from that page's cursor, with a new query
 * (no job id or locator kept), and the two runs together hold exactly the sandbox's Tasks and Events.
 * Also the Bulk API 2.0 query surface the walk relies on: ORDER BY honoured, OFFSET refused.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../../../src/sandbox/index.js';
import type { Activity, SalesforceConnection, SyncCursor } from '../../../../src/domain/model/index.js';
import { sandboxSalesforceConnection } from '../../../support/sandbox-connections.js';
import { SalesforceConnector } from '../../../../connectors/salesforce/connector.js';
import { SalesforceClient } from '../../../../connectors/salesforce/client.js';

const noopGate = { take: () => Promise.resolve() };
let sandbox: Sandbox;

function settingsFor(overrides: Record<string, unknown> = {}): SalesforceConnection {
  return sandboxSalesforceConnection(sandbox, 'sfwalk', overrides);
}

const options = {
  retryPolicy: { retries: 2, minTimeoutMs: 5, maxTimeoutMs: 20, maxRetryAfterMs: 1000 },
  bulkPoll: { intervalMs: 20, timeoutMs: 30_000 },
};
const connectorFor = (overrides: Record<string, unknown> = {}) =>
  new SalesforceConnector(settingsFor(overrides), { rateGate: noopGate, logger: pino({ level: 'silent' }) }, options);

beforeAll(async () => {
  sandbox = await startSandbox({ deals: 300, seed: 11 });
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
});

describe('Salesforce Bulk API 2.0 full walk stopped midway (sandbox)', () => {
  it('continues from the first page’s cursor on a new connector and the two runs hold exactly the sandbox’s Tasks and Events', async () => {
    const book = sandbox.state.salesforce;
    const seen = new Set<string>();
    const tombstoned = new Set<string>();
    const keep = (page: { records: Activity[]; tombstones: string[] }) => {
      page.records.forEach((a) => seen.add(a.externalId));
      page.tombstones.forEach((id) => tombstoned.add(id));
    };

    // Run 1: a full walk through Bulk API 2.0 (threshold 100) that stops after its first page.
    const mark1 = sandbox.state.calls.length;
    let stored: SyncCursor | null = null;
    let firstPageRows = 0;
    for await (const page of connectorFor({ bulkThreshold: 100 }).pullActivities({ since: null, mode: 'full' })) {
      keep(page);
      stored = page.cursor;
      firstPageRows = page.records.length + page.tombstones.length;
      break;
    }
    const run1 = sandbox.state.calls.slice(mark1);
    expect(run1.filter((c) => c.method === 'POST' && c.path.includes('/jobs/query'))).toHaveLength(2);
    expect(stored?.walk).toEqual({ phase: 'Task+Event', after: null });
    expect(firstPageRows).toBeGreaterThan(0);
    expect(firstPageRows).toBeLessThan(book.activities.length);

    // Run 2: a new connector given the stored cursor counts and queries from its position (new jobs).
    const mark2 = sandbox.state.calls.length;
    const cursors: (SyncCursor | null)[] = [];
    for await (const page of connectorFor({ bulkThreshold: 100 }).pullActivities({ since: stored, mode: 'full' })) {
      keep(page);
      cursors.push(page.cursor);
    }
    const run2 = sandbox.state.calls.slice(mark2).map((c) => decodeURIComponent(c.path));
    const lowerBound = `${new Date(Date.parse(stored!.stamp) - 10 * 60_000).toISOString().slice(0, 19)}Z`;
    expect(run2.filter((p) => p.includes('SELECT COUNT() FROM')).every((p) => p.includes(`WHERE SystemModstamp >= ${lowerBound}`))).toBe(
      true,
    );
    // No results of run 1's jobs are read again.
    const run1Jobs = new Set(run1.map((c) => /\/jobs\/query\/(750[^/?]+)/.exec(c.path)?.[1]).filter(Boolean));
    expect(run2.some((p) => [...run1Jobs].some((id) => p.includes(id!)))).toBe(false);

    // Positions never go back; the walk marker stays until the last page, which drops it.
    const stamps = cursors.map((c) => c!.stamp);
    expect([...stamps].sort()).toEqual(stamps);
    expect(cursors.slice(0, -1).every((c) => c?.walk?.phase === 'Task+Event')).toBe(true);
    expect(cursors.at(-1)?.walk).toBeUndefined();

    expect(seen).toEqual(new Set(book.activities.filter((a) => !a.deleted).map((a) => a.id)));
    expect(tombstoned).toEqual(new Set(book.activities.filter((a) => a.deleted).map((a) => a.id)));
  }, 60_000);

  it('Bulk API 2.0 query jobs return rows in ORDER BY order and refuse OFFSET', async () => {
    const client = new SalesforceClient(settingsFor(), { ...options, rateGate: noopGate });
    const rows: Record<string, string>[] = [];
    for await (const page of client.bulkQuery('SELECT Id, SystemModstamp FROM Task ORDER BY SystemModstamp, Id', {
      scanAll: true,
      maxRecords: 1000,
    }))
      rows.push(...page);
    expect(rows.length).toBeGreaterThan(1000);
    const keys = rows.map((r) => `${r.SystemModstamp}|${r.Id}`);
    expect([...keys].sort()).toEqual(keys);

    const err = await (async () => {
      for await (const page of client.bulkQuery('SELECT Id FROM Task ORDER BY Id OFFSET 10', { scanAll: false, maxRecords: 1000 }))
        void page;
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CRM.BAD_REQUEST' });
    expect(String((err as Error).message)).toContain('OFFSET');
  }, 60_000);
});
