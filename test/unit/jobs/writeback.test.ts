/**
 * The write-back job's exactly-once rule at the connector port: every due record whose create was
 * sent before and whose id is unknown (a crash, a lost answer) is looked up in the CRM by key, in
 * one batched call, and updated instead of created when the CRM has it; other records are not
 * looked up (a record with an id is updated by it, one never sent is created).
 */
import { describe, expect, it } from 'vitest';
import { needsLookup, writeBack } from '../../../jobs/writeback.js';
import type { PipelineDeps } from '../../../jobs/deps.js';
import { CrmError } from '../../../src/domain/errors.js';
import { ConnectionSettings } from '../../../src/domain/model/index.js';
import type { Store, WarningRecordEntry, WarningRecordUpdate, WriteStatus } from '../../../src/store/types.js';
import { finding } from './ledger-fixtures.js';
import type { AnnotationBatch, AnnotationResult, CrmConnector } from '../../../connectors/types.js';

const settings = ConnectionSettings.parse({ id: 'hs', provider: 'hubspot', accessToken: 'pat-test', portalId: '1', writeback: 'on' });

function record(key: string, dealId: string, writeStatus: WriteStatus, over: Partial<WarningRecordEntry> = {}): WarningRecordEntry {
  return {
    connectionId: 'hs',
    dealId,
    kind: 'warning',
    recordKey: key,
    openedAt: '2026-11-26T09:00:00.000Z',
    state: 'open',
    changedAt: '2026-11-26T09:00:00.000Z',
    externalId: null,
    createSent: writeStatus === 'pending' || writeStatus === 'failed',
    writeStatus,
    writeError: null,
    writeAttempts: writeStatus === 'failed' ? 1 : 0,
    ...over,
  };
}

/** The ledger's records in memory, with the repository's rules: attempts count `written` and `failed`. */
function ledgerStore(rows: WarningRecordEntry[]): Store {
  const byKey = new Map(rows.map((r) => [r.recordKey, r]));
  return {
    findings: {
      recordsDue: async () => [...byKey.values()].filter((r) => r.writeStatus !== 'written').map((r) => ({ ...r })),
      forDeals: async (_id: string, dealIds: string[]) => dealIds.map(finding),
      markCarried: async () => undefined,
      setRecordStatus: async (_id: string, updates: WarningRecordUpdate[]) => {
        for (const u of updates) {
          const r = byKey.get(u.recordKey);
          if (!r) continue;
          r.writeStatus = u.status;
          if (u.externalId !== undefined) r.externalId = u.externalId;
          if (u.createSent !== undefined) r.createSent = u.createSent;
          r.writeError = u.error ?? null;
          if (u.status === 'written' || u.status === 'failed') r.writeAttempts += 1;
        }
      },
    },
    scores: { fieldsDue: async () => [], markFieldsWritten: async () => undefined },
    deals: { loadOpen: async () => [] },
    syncRuns: { recordWriteFailures: async () => undefined },
  } as unknown as Store;
}

/**
 * A CRM at the connector port: `annotate` applies every warning (one record per call) and, while
 * `loseAnswers` is set, fails the request as a whole afterwards, as a reset after commit does.
 */
function fakeCrm() {
  const records: { key: string; id: string }[] = [];
  const lookups: { keys: string[]; dealIds: string[] | undefined }[] = [];
  const annotated: string[][] = [];
  const crm = { records, lookups, annotated, loseAnswers: false };
  const connector = {
    provider: 'hubspot',
    connectionId: 'hs',
    async annotate(batch: AnnotationBatch): Promise<AnnotationResult> {
      annotated.push(batch.warnings.map((w) => `${w.key}${w.externalId ? `@${w.externalId}` : ''}`));
      const result: AnnotationResult = { fields: new Map(), warnings: new Map(), warningKind: 'note' };
      for (const w of batch.warnings) {
        // An update changes the record it names; a create adds one.
        const id = w.externalId ?? `n${records.length + 1}`;
        if (w.externalId === null) records.push({ key: w.key, id });
        result.warnings.set(
          w.key,
          crm.loseAnswers ? { ok: false, error: 'CRM.TRANSIENT: connection reset', retryable: true } : { ok: true, externalId: id },
        );
      }
      return result;
    },
    async findWarnings(keys: string[], _signal?: AbortSignal, scope?: { dealIds?: string[] }): Promise<Map<string, string>> {
      lookups.push({ keys: [...keys], dealIds: scope?.dealIds });
      const wanted = new Set(keys);
      return new Map(records.filter((r) => wanted.has(r.key)).map((r) => [r.key, r.id]));
    },
  } as unknown as CrmConnector;
  return { crm, connector };
}

function deps(store: Store, connector: CrmConnector): PipelineDeps {
  const noop = () => undefined;
  const logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => logger };
  return {
    store,
    queues: { leases: { withLease: <T>(_name: string, fn: () => Promise<T>) => fn() } },
    connections: () => [settings],
    connectorFor: () => connector,
    logger,
    clock: () => new Date('2026-11-26T12:00:00Z'),
  } as unknown as PipelineDeps;
}

describe('write-back: creates sent before are looked up before anything is written', () => {
  it('looks up records whose create was sent and whose id is unknown; never those with an id or never sent', () => {
    expect(needsLookup({ externalId: null, createSent: true })).toBe(true);
    expect(needsLookup({ externalId: 'n1', createSent: true })).toBe(false);
    expect(needsLookup({ externalId: null, createSent: false })).toBe(false);
  });

  it('finds creates the CRM applied and updates them; creates only what the CRM lacks; updates known records by id', async () => {
    const { crm, connector } = fakeCrm();
    crm.records.push(
      { key: 'dw:applied', id: 'n-applied' },
      { key: 'dw:pendingdone', id: 'n-pending' },
      { key: 'dw:known', id: 'n-known' },
    );
    const store = ledgerStore([
      record('dw:applied', 'd1', 'failed'),
      record('dw:pendingdone', 'd2', 'pending'),
      record('dw:refused', 'd3', 'failed'),
      record('dw:new', 'd4', 'planned'),
      record('dw:known', 'd5', 'planned', { externalId: 'n-known' }),
    ]);
    const outcome = await writeBack(deps(store, connector), settings, undefined);

    // One lookup for the records whose create may have been applied, scoped to their deals.
    expect(crm.lookups).toEqual([{ keys: ['dw:applied', 'dw:pendingdone', 'dw:refused'], dealIds: ['d1', 'd2', 'd3'] }]);
    expect(crm.annotated).toEqual([['dw:applied@n-applied', 'dw:pendingdone@n-pending', 'dw:refused', 'dw:new', 'dw:known@n-known']]);
    expect(outcome.notes).toBe(5);
    const perKey = new Map<string, number>();
    for (const r of crm.records) perKey.set(r.key, (perKey.get(r.key) ?? 0) + 1);
    expect(Object.fromEntries(perKey)).toEqual({ 'dw:applied': 1, 'dw:pendingdone': 1, 'dw:refused': 1, 'dw:new': 1, 'dw:known': 1 });
    expect(await store.findings.recordsDue('hs')).toEqual([]);
  });

  it('a create whose answer was lost fails the run, and the retry creates nothing twice', async () => {
    const { crm, connector } = fakeCrm();
    const store = ledgerStore([record('dw:one', 'd1', 'planned'), record('dw:two', 'd2', 'planned')]);
    const d = deps(store, connector);
    crm.loseAnswers = true;
    await expect(writeBack(d, settings, undefined)).rejects.toSatisfy(
      (e) => e instanceof CrmError && e.code === 'CRM.TRANSIENT' && e.retryable,
    );
    expect(crm.lookups).toEqual([]);
    expect((await store.findings.recordsDue('hs')).map((r) => [r.writeStatus, r.writeAttempts, r.createSent])).toEqual([
      ['failed', 1, true],
      ['failed', 1, true],
    ]);

    crm.loseAnswers = false;
    const retry = await writeBack(d, settings, undefined);
    expect(crm.lookups).toHaveLength(1);
    expect(crm.annotated).toEqual([
      ['dw:one', 'dw:two'],
      ['dw:one@n1', 'dw:two@n2'],
    ]);
    expect(crm.records.map((r) => r.key)).toEqual(['dw:one', 'dw:two']);
    expect(retry.notes).toBe(2);
    expect(await store.findings.recordsDue('hs')).toEqual([]);
  });

  it('a record whose findings all resolved before it was ever created is not written at all', async () => {
    const { crm, connector } = fakeCrm();
    const store = ledgerStore([record('dw:gone', 'd1', 'planned', { state: 'closed' })]);
    await writeBack(deps(store, connector), settings, undefined);
    expect(crm.annotated).toEqual([]);
    expect(await store.findings.recordsDue('hs')).toEqual([]);
  });
});
