import { describe, expect, it } from 'vitest';
import { warningFor } from '../../../jobs/annotation-text.js';
import type { LedgerEntry } from '../../../src/store/types.js';

const entry: LedgerEntry = {
  connectionId: 'hs',
  dealId: 'd1',
  ruleId: 'stale_deal',
  severity: 'critical',
  message: 'No logged activity in 44 days (team threshold 14).',
  evidence: { idleDays: 44, thresholdDays: 14, nested: { ignored: true } },
  suggestedAction: 'Reach the buyer this week and log the touch.',
  status: 'open',
  firstSeenAt: '2026-11-26T09:00:00.000Z',
  lastSeenAt: '2026-11-26T09:00:00.000Z',
  resolvedAt: null,
  annotationKey: 'dw:abcdefghijklm',
  externalId: null,
  writeStatus: 'planned',
  writeError: null,
  writeAttempts: 0,
};

describe('warning text', () => {
  it('says what is wrong, the numbers, and what to do, under a Pipeline health title', () => {
    const w = warningFor(entry, 'owner-7', '2026-11-26');
    expect(w).toMatchObject({ key: 'dw:abcdefghijklm', dealId: 'd1', ownerId: 'owner-7', ruleId: 'stale_deal', severity: 'critical', dueDate: '2026-11-28' });
    expect(w.title).toBe('Pipeline health: Stale deal');
    expect(w.body).toContain('No logged activity in 44 days');
    expect(w.body).toContain('- idleDays: 44');
    expect(w.body).not.toContain('nested');
    expect(w.body).toContain('What to do: Reach the buyer');
  });
});
