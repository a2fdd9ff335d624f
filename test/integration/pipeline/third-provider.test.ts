/**
 * A third provider joins through the registry alone: the fake CRM of test/support/fake-crm.ts (one
 * object) and one `registerProvider` line. The real sync, scoring and write-back processors then run
 * it, reading its rate limits, batch size and warning record kind from its descriptor; the
 * store takes its connection; its record links and webhook verifier come from the same registry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crmRecordUrl, registerProvider, warningRecordOf, webhookVerifierFor } from '../../../connectors/registry.js';
import { chooseQueueBackend, QueueSystem, type WorkerGroup } from '../../../src/queue/index.js';
import { openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { createHandlers, registryConnectors, type PipelineDeps } from '../../../jobs/index.js';
import { FAKE_PROVIDER, fakeCrmConnection, fakeCrmDescriptor, fakeCrmState, fakeSignature } from '../../support/fake-crm.js';
import { uniqueName } from '../../support/services.js';
import { startPglite } from '../queue/backends.js';
import { silentLogger, total } from './harness.js';

registerProvider(fakeCrmDescriptor);

const NOW = new Date('2026-06-15T12:00:00Z');
const settings = fakeCrmConnection('fake', { writeback: 'on', timezone: 'Europe/Berlin' });

function seed(): void {
  const crm = fakeCrmState('fake');
  const connectionId = 'fake';
  crm.owners.push({ connectionId, externalId: 'o1', name: 'Ada Rep', email: 'ada@example.com', team: null, active: true });
  const stage = (id: string, order: number, probability: number, isClosed = false, isWon = false) => ({
    connectionId,
    pipeline: 'default',
    id,
    label: id,
    order,
    probability,
    isClosed,
    isWon,
  });
  crm.stages.push(stage('qualify', 0, 0.2), stage('propose', 1, 0.6), stage('won', 2, 1, true, true), stage('lost', 3, 0, true, false));
  for (let i = 0; i < 20; i++) {
    crm.deals.push({
      connectionId,
      externalId: `D${i}`,
      name: `Deal ${i}`,
      ownerId: 'o1',
      accountId: null,
      accountName: null,
      accountIsTarget: null,
      leadSource: null,
      pipeline: 'default',
      stageId: i % 2 === 0 ? 'qualify' : 'propose',
      amount: 10_000 + i,
      currency: 'USD',
      // Every other deal's close date has passed; none has any activity.
      closeDate: i % 2 === 0 ? '2026-05-01' : '2026-09-30',
      createdAt: '2026-01-10T09:00:00.000Z',
      modifiedAt: `2026-06-01T09:00:${String(i).padStart(2, '0')}.000Z`,
      probability: null,
      forecastCategory: null,
      nextStep: null,
      isClosed: false,
      isWon: false,
      stageEnteredAt: '2026-02-01T09:00:00.000Z',
      discountPercent: null,
      contactCount: 1,
      lostReason: null,
      isDeleted: false,
      deletedAt: null,
    });
  }
}

describe('a third provider registered through the registry alone', () => {
  let store: Store;
  let queues: QueueSystem;
  let workers: WorkerGroup;
  let pglite: Awaited<ReturnType<typeof startPglite>>;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dw-third-'));

  beforeAll(async () => {
    seed();
    store = await openStore({ dataDir });
    pglite = await startPglite();
    const logger = silentLogger();
    queues = await QueueSystem.open({ backend: chooseQueueBackend({ databaseUrl: pglite.url }), prefix: uniqueName('{dw3}'), logger });
    await store.connections.upsertFromConfig([settings]);
    const deps: PipelineDeps = {
      store,
      queues,
      connections: () => [settings],
      connectorFor: registryConnectors(queues, logger),
      logger,
      clock: () => NOW,
    };
    workers = queues.startWorkers(createHandlers(deps), { concurrency: { sync: 1, events: 1, score: 1, writeback: 1 } });
  }, 120_000);

  afterAll(async () => {
    await workers?.close({ graceMs: 2_000 });
    await queues?.obliterate().catch(() => undefined);
    await queues?.close();
    await store?.close();
    await pglite?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("syncs, scores and writes back through the real processors, cut at the descriptor's batch size", async () => {
    const job = await queues.enqueue('sync', { connectionId: 'fake', mode: 'full', trigger: 'test' });
    const outcomes = await queues.waitForAll(job, { timeoutMs: 60_000 });
    expect(outcomes.filter((o) => o.state === 'failed')).toEqual([]);
    const sync = outcomes.find((o) => o.ref.queue === 'sync');
    expect(sync?.state === 'completed' && (sync.result as { status: string }).status).toBe('ok');

    const counts = await store.deals.count('fake');
    expect(counts.open).toBe(20);
    const open = await store.findings.openForDeals('fake');
    // The ten deals whose close date has passed are flagged, and each finding reached the CRM.
    expect(new Set(open.map((f) => f.dealId)).size).toBeGreaterThanOrEqual(10);
    expect(open.filter((f) => f.writeStatus !== 'written')).toEqual([]);

    const crm = fakeCrmState('fake');
    const notes = crm.writes.filter((w) => w.kind === 'note');
    expect(new Set(notes.map((n) => n.dealId)).size).toBe(new Set(open.map((f) => f.dealId)).size);
    expect(total(outcomes, 'writeback', 'notes')).toBe(notes.length);
    expect(Math.max(...crm.batches)).toBeLessThanOrEqual(fakeCrmDescriptor.writebackBatchSize);
    expect(crm.batches.length).toBeGreaterThan(1);
  }, 90_000);

  it("gives the provider's record links, warning record kind and webhook verifier from its descriptor", () => {
    expect(settings.provider).toBe(FAKE_PROVIDER);
    expect(crmRecordUrl(settings, 'D1')).toBe('https://fakecrm.test/fake/deals/D1');
    expect(warningRecordOf(settings)).toBe('note');
    const body = Buffer.from(JSON.stringify([{ id: 'e1', dealId: 'D1', at: NOW.toISOString() }]));
    const verifier = webhookVerifierFor(settings);
    const request = {
      method: 'POST',
      url: 'https://dealwatch.test/webhooks/fakecrm',
      headers: { 'x-fake-signature': fakeSignature('fake-secret', body) },
      rawBody: body,
    };
    expect(verifier.verify(request, NOW.getTime())).toEqual({ ok: true });
    expect(verifier.verify({ ...request, headers: { 'x-fake-signature': fakeSignature('other', body) } }, NOW.getTime()).ok).toBe(false);
    expect(verifier.parse(request)).toMatchObject([{ connectionId: 'fake', dealId: 'D1', kind: 'changed' }]);
  });
});
