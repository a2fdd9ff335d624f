/**
 * The events job's decisions at the store and connector ports: a paused connection is left alone, a
 * deleted deal is tombstoned, a fetch older than the stored deal is not written (a late or replayed
 * event), an equal or newer one is stored with its activities and history, all under the deal's
 * lease; the deal is then scored and written back. Scoring and write-back have their own tests.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PipelineDeps } from '../../../jobs/deps.js';
import { BenchmarkCache } from '../../../jobs/score.js';
import { ConnectionSettings } from '../../../src/domain/model/index.js';
import type { DealBundle } from '../../../connectors/types.js';

const calls = vi.hoisted(() => ({ score: [] as unknown[][], writeBack: [] as unknown[][] }));
vi.mock('../../../jobs/score.js', () => ({
  BenchmarkCache: class {},
  scoreDeals: async (...args: unknown[]) => {
    calls.score.push(args.slice(2));
    return { fieldDealIds: ['scored-d1'], opened: 1 };
  },
}));
vi.mock('../../../jobs/writeback.js', () => ({
  writeBack: async (...args: unknown[]) => {
    calls.writeBack.push(args.slice(1, 3));
    return { mode: 'on', fields: 0, notes: 1, tasks: 0, planned: 0 };
  },
}));
const { createEventsProcessor } = await import('../../../jobs/events.js');

const settings = ConnectionSettings.parse({ id: 'hs', provider: 'hubspot', accessToken: 'pat-test', portalId: '1', writeback: 'on' });
const NOW = '2026-11-26T12:00:00.000Z';

function storedDeal(modifiedAt: string, isDeleted = false) {
  return { externalId: 'd1', modifiedAt, isDeleted, stageId: 'stored-stage' };
}

function bundle(modifiedAt: string | null, extra: Partial<DealBundle> = {}): DealBundle {
  return {
    deal: modifiedAt === null ? null : ({ externalId: 'd1', modifiedAt, stageId: 'fetched-stage' } as unknown as DealBundle['deal']),
    activities: [],
    stageChanges: [],
    fieldChanges: [],
    ...extra,
  };
}

function harness(options: { paused?: string | null; stored?: ReturnType<typeof storedDeal> | null; fetched: DealBundle }) {
  const log: string[] = [];
  const writes: Record<string, unknown[]> = {};
  const record =
    (name: string) =>
    async (...args: unknown[]) => {
      (writes[name] ??= []).push(args);
    };
  const store = {
    connectionState: { get: async () => ({ pausedReason: options.paused ?? null }) },
    deals: {
      getMany: async (_id: string, dealIds: string[]) => {
        log.push(`get ${dealIds.join(',')}`);
        return options.stored ? [options.stored] : [];
      },
      tombstone: record('tombstone'),
      upsertPage: record('deals'),
    },
    activities: { upsertPage: record('activities') },
    history: { upsertStageChanges: record('stageChanges'), upsertFieldChanges: record('fieldChanges') },
  };
  const connector = {
    fetchDeal: async (dealId: string) => {
      log.push(`fetch ${dealId}`);
      return options.fetched;
    },
  };
  const noop = () => undefined;
  const logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => logger };
  const deps = {
    store,
    queues: {
      leases: {
        withLease: async <T>(name: string, fn: () => Promise<T>) => {
          log.push(`lease ${name}`);
          const out = await fn();
          log.push(`release ${name}`);
          return out;
        },
      },
    },
    connections: () => [settings],
    connectorFor: () => connector,
    logger,
    clock: () => new Date(NOW),
  } as unknown as PipelineDeps;
  const process = createEventsProcessor(deps, new BenchmarkCache());
  const run = () =>
    process({ connectionId: 'hs', dealId: 'd1', eventId: 'e1', kind: 'stage_change', occurredAt: NOW } as never, {
      jobId: 'j1',
      attempt: 1,
      signal: new AbortController().signal,
    });
  return { run, log, writes };
}

beforeEach(() => {
  calls.score.length = 0;
  calls.writeBack.length = 0;
});

describe('events job', () => {
  it('leaves a paused connection alone: no fetch, no score, no write', async () => {
    const h = harness({ paused: 'quota', fetched: bundle('2026-11-26T11:00:00.000Z') });
    expect(await h.run()).toEqual({ connectionId: 'hs', dealId: 'd1', refetched: false, applied: false, followUps: [] });
    expect(h.log).toEqual([]);
    expect(calls.score).toEqual([]);
    expect(calls.writeBack).toEqual([]);
  });

  it(
    'stores a newer fetch with its activities and history under the connection events lease, then ' + 'scores and writes back the deal',
    async () => {
      const activities = [{ externalId: 'a1' }];
      const stageChanges = [{ dealId: 'd1' }];
      const fieldChanges = [{ dealId: 'd1' }];
      const fetched = bundle('2026-11-26T11:00:00.000Z', { activities, stageChanges, fieldChanges } as never);
      const h = harness({ stored: storedDeal('2026-11-26T10:00:00.000Z'), fetched });
      expect(await h.run()).toEqual({ connectionId: 'hs', dealId: 'd1', refetched: true, applied: true, coalesced: false, followUps: [] });
      expect(h.log).toEqual(['lease events:hs', 'fetch d1', 'get d1', 'release events:hs']);
      expect(h.writes).toEqual({
        deals: [['hs', [fetched.deal]]],
        activities: [['hs', activities]],
        stageChanges: [['hs', stageChanges]],
        fieldChanges: [['hs', fieldChanges]],
      });
      expect(calls.score).toEqual([[settings, ['d1']]]);
      expect(calls.writeBack).toEqual([[settings, ['scored-d1']]]);
    },
  );

  it('does not write a fetch older than the stored deal (a late event), and still scores it', async () => {
    const h = harness({ stored: storedDeal('2026-11-26T11:00:00.000Z'), fetched: bundle('2026-11-26T10:59:59.999Z') });
    expect(await h.run()).toMatchObject({ refetched: true, applied: false });
    expect(h.writes).toEqual({});
    expect(calls.score).toHaveLength(1);
    expect(calls.writeBack).toHaveLength(1);
  });

  it('stores a fetch as recent as the stored deal, and one newer than a deleted copy, without empty writes', async () => {
    for (const stored of [storedDeal('2026-11-26T11:00:00.000Z'), storedDeal('2026-11-26T12:00:00.000Z', true), null]) {
      const fetched = bundle('2026-11-26T11:00:00.000Z');
      const h = harness({ stored, fetched });
      expect(await h.run()).toMatchObject({ applied: true });
      expect(h.writes).toEqual({ deals: [['hs', [fetched.deal]]] });
    }
  });

  it('tombstones a deal the CRM no longer has, at the clock time', async () => {
    const h = harness({ stored: storedDeal('2026-11-26T11:00:00.000Z'), fetched: bundle(null) });
    expect(await h.run()).toMatchObject({ refetched: true, applied: true });
    expect(h.writes).toEqual({ tombstone: [['hs', ['d1'], NOW]] });
  });
});
