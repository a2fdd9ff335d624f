/**
 * Write-back at the store and connector ports, beyond the exactly-once lookup (writeback.test.ts):
 * `off` does nothing, `dry-run` plans without calling the CRM, fields travel with their deal's
 * warnings in provider-sized batches, a refused field or warning is retried only when the CRM says
 * so, a row the CRM keeps refusing stops being retried, and the job reads what it writes per mode.
 */
import { describe, expect, it } from 'vitest';
import { createWritebackProcessor, writeBack } from '../../../jobs/writeback.js';
import type { PipelineDeps } from '../../../jobs/deps.js';
import { CrmError } from '../../../src/domain/errors.js';
import { ConnectionSettings } from '../../../src/domain/model/index.js';
import type { DealFields, Store, WarningRecordEntry, WarningRecordUpdate, WriteStatus } from '../../../src/store/types.js';
import { finding } from './ledger-fixtures.js';
import type { AnnotationBatch, AnnotationOutcome, AnnotationResult, CrmConnector } from '../../../connectors/types.js';

const settingsOf = (writeback: 'on' | 'dry-run' | 'off', provider: 'hubspot' | 'salesforce' = 'hubspot') =>
  provider === 'hubspot'
    ? ConnectionSettings.parse({ id: 'hs', provider, accessToken: 'pat-test', portalId: '1', writeback })
    : ConnectionSettings.parse({
        id: 'hs',
        provider,
        instanceUrl: 'https://example.my.salesforce.com',
        auth: { type: 'refreshToken', clientId: 'c', clientSecret: 's', refreshToken: 'r' },
        writeback,
      });

/** A deal's warning record, due (no CRM id yet: it is created). */
function row(key: string, dealId: string, writeStatus: WriteStatus = 'planned', writeAttempts = 0): WarningRecordEntry {
  return {
    connectionId: 'hs',
    dealId,
    kind: 'warning',
    recordKey: key,
    openedAt: '2026-11-26T09:00:00.000Z',
    state: 'open',
    changedAt: '2026-11-26T09:00:00.000Z',
    externalId: null,
    createSent: false,
    writeStatus,
    writeError: null,
    writeAttempts,
  };
}

function fakeStore(rows: WarningRecordEntry[], fields: DealFields[], owners: Record<string, string> = {}) {
  const seen = {
    unwritten: [] as unknown[],
    fieldsDue: [] as unknown[],
    marked: [] as string[][],
    statuses: [] as [string, WriteStatus][],
  };
  const store = {
    connectionState: { get: async () => ({ pausedReason: null }) },
    findings: {
      recordsDue: async (_id: string, options: unknown) => {
        seen.unwritten.push(options);
        const statuses = (options as { statuses?: WriteStatus[] } | undefined)?.statuses;
        return rows.filter((r) => r.writeStatus !== 'written' && (!statuses || statuses.includes(r.writeStatus))).map((r) => ({ ...r }));
      },
      setRecordStatus: async (_id: string, updates: WarningRecordUpdate[]) => {
        for (const u of updates) seen.statuses.push([u.recordKey, u.status]);
      },
      forDeals: async (_id: string, dealIds: string[]) => dealIds.map(finding),
      markCarried: async () => undefined,
    },
    scores: {
      fieldsDue: async (_id: string, options: unknown) => {
        seen.fieldsDue.push(options);
        return fields;
      },
      markFieldsWritten: async (_id: string, written: DealFields[]) => {
        seen.marked.push(written.map((f) => f.dealId));
      },
    },
    syncRuns: { recordWriteFailures: async () => undefined },
    deals: { loadOpen: async (_id: string, ids: string[]) => ids.map((id) => ({ externalId: id, ownerId: owners[id] ?? null })) },
  } as unknown as Store;
  return { store, seen };
}

/** A CRM at the connector port answering each field and warning as `answer` says (default: ok). */
function fakeCrm(
  answer: (id: string) => AnnotationOutcome = (id) => ({ ok: true, externalId: `x-${id}` }),
  warningKind: 'note' | 'task' = 'note',
) {
  const batches: AnnotationBatch[] = [];
  const connector = {
    async annotate(batch: AnnotationBatch): Promise<AnnotationResult> {
      batches.push(batch);
      return {
        fields: new Map(batch.fields.map((f) => [f.dealId, answer(f.dealId)])),
        warnings: new Map(batch.warnings.map((w) => [w.key, answer(w.key)])),
        warningKind,
      };
    },
    async findWarnings() {
      return new Map();
    },
  } as unknown as CrmConnector;
  return { connector, batches };
}

function deps(store: Store, connector: CrmConnector, settings = settingsOf('on')): PipelineDeps {
  const noop = () => undefined;
  const logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => logger };
  return {
    store,
    queues: { leases: { withLease: <T>(_name: string, fn: (lost: AbortSignal) => Promise<T>) => fn(new AbortController().signal) } },
    connections: () => [settings],
    connectorFor: () => connector,
    logger,
    clock: () => new Date('2026-11-26T12:00:00Z'),
  } as unknown as PipelineDeps;
}

const field = (dealId: string, score = 50): DealFields => ({ dealId, score, flags: ['stale_deal'] });

describe('write-back modes at the ports', () => {
  it('off: touches neither the ledger nor the CRM', async () => {
    const { store, seen } = fakeStore([row('dw:a', 'd1')], [field('d1')]);
    const { connector, batches } = fakeCrm();
    expect(await writeBack(deps(store, connector), settingsOf('off'), ['d1'])).toEqual({
      mode: 'off',
      fields: 0,
      notes: 0,
      tasks: 0,
      planned: 0,
      failed: 0,
      errors: [],
    });
    expect(seen).toEqual({ unwritten: [], fieldsDue: [], marked: [], statuses: [] });
    expect(batches).toEqual([]);
  });

  it('dry-run: counts the planned rows and the due fields of the named deals, and calls no CRM', async () => {
    const { store, seen } = fakeStore(
      [row('dw:a', 'd1'), row('dw:b', 'd2'), row('dw:c', 'd3', 'failed', 1)],
      [field('d1'), field('d2'), field('d9')],
    );
    const { connector, batches } = fakeCrm();
    const outcome = await writeBack(deps(store, connector), settingsOf('dry-run'), ['d1', 'd2']);
    expect(outcome).toEqual({ mode: 'dry-run', fields: 0, notes: 0, tasks: 0, planned: 5, failed: 0, errors: [] });
    expect(seen.fieldsDue).toEqual([{ dealIds: ['d1', 'd2'], limit: 2000 }]);
    expect(seen.unwritten).toEqual([{ statuses: ['planned'], limit: 2000 }]);
    expect(seen.statuses).toEqual([]);
    expect(batches).toEqual([]);
  });
});

describe('write-back batches', () => {
  it(
    'sends fields with their deal warnings, the other fields on their own, in provider-sized ' + 'batches; marks pending before the call',
    async () => {
      const rows = Array.from({ length: 150 }, (_, i) => row(`dw:${i}`, `d${i}`));
      const fields = [field('d0'), field('d149'), ...Array.from({ length: 120 }, (_, i) => field(`f${i}`))];
      const { store, seen } = fakeStore(rows, fields, { d0: 'owner-0' });
      const { connector, batches } = fakeCrm();
      const outcome = await writeBack(deps(store, connector), settingsOf('on'), undefined);
      expect(batches.map((b) => [b.warnings.length, b.fields.length])).toEqual([
        [100, 1],
        [50, 1],
        [0, 100],
        [0, 20],
      ]);
      expect(batches[0]!.fields[0]!.dealId).toBe('d0');
      expect(batches[1]!.fields[0]!.dealId).toBe('d149');
      expect(batches[0]!.warnings[0]).toMatchObject({ key: 'dw:0', dealId: 'd0', ownerId: 'owner-0' });
      expect(batches[0]!.warnings[1]).toMatchObject({ key: 'dw:1', ownerId: null });
      expect(outcome).toEqual({ mode: 'on', fields: 122, notes: 150, tasks: 0, planned: 0, failed: 0, errors: [] });
      // Every row is pending before its batch is sent, then written.
      expect(seen.statuses.slice(0, 100).every(([, s]) => s === 'pending')).toBe(true);
      expect(seen.statuses.filter(([, s]) => s === 'written')).toHaveLength(150);
      expect(seen.marked.flat()).toHaveLength(122);
      expect(seen.fieldsDue).toEqual([{ dealIds: undefined }]);
    },
  );

  it('counts tasks as tasks, and batches 200 on Salesforce', async () => {
    const rows = Array.from({ length: 201 }, (_, i) => row(`dw:${i}`, `d${i}`));
    const { store } = fakeStore(rows, []);
    const { connector, batches } = fakeCrm(undefined, 'task');
    const outcome = await writeBack(deps(store, connector, settingsOf('on', 'salesforce')), settingsOf('on', 'salesforce'), undefined);
    expect(batches.map((b) => b.warnings.length)).toEqual([200, 1]);
    expect(outcome).toMatchObject({ notes: 0, tasks: 201 });
  });

  it('retries the run when the CRM refuses a warning or a field retryably, records the rest; a final refusal does not retry', async () => {
    for (const [refused, retryable] of [
      ['dw:b', true],
      ['d2', true],
      ['dw:b', false],
      ['d2', false],
    ] as const) {
      const { store, seen } = fakeStore([row('dw:a', 'd1'), row('dw:b', 'd2')], [field('d1'), field('d2')]);
      const { connector } = fakeCrm((id) =>
        id === refused ? { ok: false, error: `CRM.REFUSED: ${id}`, retryable } : { ok: true, externalId: `x-${id}` },
      );
      const run = writeBack(deps(store, connector), settingsOf('on'), undefined);
      if (retryable)
        await expect(run).rejects.toSatisfy(
          (e) => e instanceof CrmError && e.code === 'CRM.TRANSIENT' && e.retryable && e.message.includes(refused),
        );
      else await expect(run).resolves.toMatchObject({ mode: 'on' });
      const final = seen.statuses.slice(2);
      if (refused.startsWith('dw:'))
        expect(final).toEqual([
          ['dw:a', 'written'],
          ['dw:b', 'failed'],
        ]);
      else expect(seen.marked).toEqual([['d1']]);
    }
  });

  it('stops retrying a row the CRM refused five times', async () => {
    const { store } = fakeStore([row('dw:tired', 'd1', 'failed', 5), row('dw:again', 'd2', 'failed', 4)], []);
    const { connector, batches } = fakeCrm();
    await writeBack(deps(store, connector), settingsOf('on'), undefined);
    expect(batches.flatMap((b) => b.warnings.map((w) => w.key))).toEqual(['dw:again']);
  });
});

describe('write-back job', () => {
  const payload = { connectionId: 'hs', dealIds: ['d1'], cause: 'score-hs-1-0' } as never;
  const context = { jobId: 'j1', attempt: 1, signal: new AbortController().signal };

  it('writes every due field when on, plans only the named deals in dry-run, and does nothing while paused', async () => {
    for (const [mode, asked] of [
      ['on', undefined],
      ['dry-run', ['d1']],
    ] as const) {
      const { store, seen } = fakeStore([], [field('d1')]);
      const { connector } = fakeCrm();
      const settings = settingsOf(mode);
      const result = await createWritebackProcessor(deps(store, connector, settings))(payload, context);
      expect(result).toMatchObject({ connectionId: 'hs', mode, followUps: [] });
      expect((seen.fieldsDue[0] as { dealIds?: string[] }).dealIds).toEqual(asked);
    }
    const { store, seen } = fakeStore([row('dw:a', 'd1')], [field('d1')]);
    (store.connectionState as unknown as { get: () => Promise<unknown> }).get = async () => ({ pausedReason: 'quota' });
    const { connector, batches } = fakeCrm();
    expect(await createWritebackProcessor(deps(store, connector))(payload, context)).toEqual({
      connectionId: 'hs',
      mode: 'on',
      fields: 0,
      notes: 0,
      tasks: 0,
      planned: 0,
      failed: 0,
      errors: [],
      followUps: [],
    });
    expect(seen.unwritten).toEqual([]);
    expect(batches).toEqual([]);
  });
});
