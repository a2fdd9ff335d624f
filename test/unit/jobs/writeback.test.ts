/**
 * The write-back job's exactly-once rule at the connector port: every due row that was sent before
 * (`pending`, or `failed` after an attempt) is looked up in the CRM by key, in one batched call,
 * before anything is rewritten; rows never sent are not looked up.
 */
import { describe, expect, it } from 'vitest';
import { wasAttempted, writeBack } from '../../../jobs/writeback.js';
import type { PipelineDeps } from '../../../jobs/deps.js';
import { CrmError } from '../../../src/domain/errors.js';
import { ConnectionSettings } from '../../../src/domain/model/index.js';
import type { LedgerEntry, Store, WriteStatus } from '../../../src/store/types.js';
import type { AnnotationBatch, AnnotationResult, CrmConnector } from '../../../connectors/types.js';

const settings = ConnectionSettings.parse({ id: 'hs', provider: 'hubspot', accessToken: 'pat-test', portalId: '1', writeback: 'on' });

function row(key: string, dealId: string, writeStatus: WriteStatus, writeAttempts: number): LedgerEntry {
  return {
    connectionId: 'hs', dealId, ruleId: 'stale_deal', severity: 'warning', message: 'No logged activity in 30 days.', evidence: {},
    suggestedAction: 'Call the buyer.', status: 'open', firstSeenAt: '2026-11-26T09:00:00.000Z', lastSeenAt: '2026-11-26T09:00:00.000Z',
    resolvedAt: null, annotationKey: key, externalId: null, writeStatus, writeError: writeStatus === 'failed' ? 'CRM.TRANSIENT: reset' : null, writeAttempts,
  };
}

/** The ledger in memory, with the repository's rules: attempts count `written` and `failed`. */
function ledgerStore(rows: LedgerEntry[]): Store {
  const byKey = new Map(rows.map((r) => [r.annotationKey, r]));
  return {
    findings: {
      unwritten: async () => [...byKey.values()].filter((r) => r.writeStatus !== 'written').map((r) => ({ ...r })),
      setWriteStatus: async (_id: string, updates: { annotationKey: string; status: WriteStatus; externalId?: string | null; error?: string | null }[]) => {
        for (const u of updates) {
          const r = byKey.get(u.annotationKey);
          if (!r) continue;
          r.writeStatus = u.status;
          if (u.externalId !== undefined) r.externalId = u.externalId;
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
      annotated.push(batch.warnings.map((w) => w.key));
      const result: AnnotationResult = { fields: new Map(), warnings: new Map(), warningKind: 'note' };
      for (const w of batch.warnings) {
        const id = `n${records.length + 1}`;
        records.push({ key: w.key, id });
        result.warnings.set(w.key, crm.loseAnswers ? { ok: false, error: 'CRM.TRANSIENT: connection reset', retryable: true } : { ok: true, externalId: id });
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

describe('write-back: rows sent before are looked up before they are rewritten', () => {
  it('tells attempted rows apart: pending, and failed after an attempt; never planned or written', () => {
    expect(wasAttempted({ writeStatus: 'pending', writeAttempts: 0 })).toBe(true);
    expect(wasAttempted({ writeStatus: 'failed', writeAttempts: 1 })).toBe(true);
    expect(wasAttempted({ writeStatus: 'failed', writeAttempts: 0 })).toBe(false);
    expect(wasAttempted({ writeStatus: 'planned', writeAttempts: 0 })).toBe(false);
    expect(wasAttempted({ writeStatus: 'written', writeAttempts: 1 })).toBe(false);
  });

  it('finds a failed row the CRM applied, records it written, and rewrites only what the CRM lacks', async () => {
    const { crm, connector } = fakeCrm();
    crm.records.push({ key: 'dw:applied', id: 'n-applied' }, { key: 'dw:pendingdone', id: 'n-pending' });
    const store = ledgerStore([
      row('dw:applied', 'd1', 'failed', 1),
      row('dw:pendingdone', 'd2', 'pending', 0),
      row('dw:refused', 'd3', 'failed', 2),
      row('dw:new', 'd4', 'planned', 0),
    ]);
    const outcome = await writeBack(deps(store, connector), settings, undefined);

    // One lookup for every attempted row, scoped to their deals; the planned row is not looked up.
    expect(crm.lookups).toEqual([{ keys: ['dw:applied', 'dw:pendingdone', 'dw:refused'], dealIds: ['d1', 'd2', 'd3'] }]);
    expect(crm.annotated).toEqual([['dw:refused', 'dw:new']]);
    expect(outcome.notes).toBe(2);
    const perKey = new Map<string, number>();
    for (const r of crm.records) perKey.set(r.key, (perKey.get(r.key) ?? 0) + 1);
    expect(Object.fromEntries(perKey)).toEqual({ 'dw:applied': 1, 'dw:pendingdone': 1, 'dw:refused': 1, 'dw:new': 1 });
    const rows = await store.findings.unwritten('hs');
    expect(rows).toEqual([]);
  });

  it('a create whose answer was lost fails the run, and the retry writes nothing twice', async () => {
    const { crm, connector } = fakeCrm();
    const store = ledgerStore([row('dw:one', 'd1', 'planned', 0), row('dw:two', 'd2', 'planned', 0)]);
    const d = deps(store, connector);
    crm.loseAnswers = true;
    await expect(writeBack(d, settings, undefined)).rejects.toSatisfy((e) => e instanceof CrmError && e.code === 'CRM.TRANSIENT' && e.retryable);
    expect(crm.lookups).toEqual([]);
    expect((await store.findings.unwritten('hs')).map((r) => [r.writeStatus, r.writeAttempts])).toEqual([['failed', 1], ['failed', 1]]);

    crm.loseAnswers = false;
    const retry = await writeBack(d, settings, undefined);
    expect(crm.lookups).toHaveLength(1);
    expect(crm.annotated).toEqual([['dw:one', 'dw:two']]);
    expect(crm.records.map((r) => r.key)).toEqual(['dw:one', 'dw:two']);
    expect(retry.notes).toBe(0);
    expect(await store.findings.unwritten('hs')).toEqual([]);
  });
});
