import { describe, expect, it } from 'vitest';
import { summarize } from '../../../jobs/summary.js';

describe('sync summary', () => {
  it('adds up the sync, the scoring and the write-back it caused', () => {
    const s = summarize('hs', [
      {
        state: 'completed',
        ref: { queue: 'sync', jobId: 's' },
        result: { connectionId: 'hs', runId: 1, status: 'ok', deals: 10, activities: 30, apiCalls: 4, followUps: [] },
      },
      {
        state: 'completed',
        ref: { queue: 'score', jobId: 'a' },
        result: { connectionId: 'hs', scored: 6, opened: 3, resolved: 1, followUps: [] },
      },
      {
        state: 'completed',
        ref: { queue: 'score', jobId: 'b' },
        result: { connectionId: 'hs', scored: 4, opened: 2, resolved: 0, followUps: [] },
      },
      {
        state: 'completed',
        ref: { queue: 'writeback', jobId: 'w' },
        result: { connectionId: 'hs', mode: 'on', fields: 5, notes: 5, tasks: 0, planned: 0, followUps: [] },
      },
    ]);
    expect(s).toMatchObject({
      status: 'ok',
      deals: 10,
      activities: 30,
      apiCalls: 4,
      findings: { opened: 5, resolved: 1 },
      annotations: { fields: 5, notes: 5, tasks: 0 },
    });
  });

  it('reports a failed sync as failed, and a failed follow-up as partial', () => {
    expect(summarize('hs', [{ state: 'failed', ref: { queue: 'sync', jobId: 's' }, reason: 'CRM.AUTH: revoked' }]).status).toBe('failed');
    const partial = summarize('hs', [
      {
        state: 'completed',
        ref: { queue: 'sync', jobId: 's' },
        result: { connectionId: 'hs', runId: 1, status: 'ok', deals: 1, activities: 0, apiCalls: 1, followUps: [] },
      },
      { state: 'failed', ref: { queue: 'writeback', jobId: 'w' }, reason: 'CRM.TRANSIENT: 502' },
    ]);
    expect(partial.status).toBe('partial');
    expect(partial.failures).toEqual([{ queue: 'writeback', jobId: 'w', reason: 'CRM.TRANSIENT: 502' }]);
  });
});
