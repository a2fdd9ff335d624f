import { describe, expect, it } from 'vitest';
import { annotationKey, diffFindings } from '../../../../src/domain/engine.js';
import type { Finding, LedgerFinding } from '../../../../src/domain/model/index.js';

const f = (
  dealId: string,
  ruleId: string,
  evidence: Record<string, unknown> = { n: 1 },
  severity: Finding['severity'] = 'warning',
): Finding => ({
  connectionId: 'acme',
  dealId,
  ruleId,
  severity,
  message: `${ruleId} on ${dealId}`,
  evidence,
  suggestedAction: 'do it',
});
const ledger = (x: Finding, firstSeenAt = '2026-11-20T02:00:00.000Z'): LedgerFinding => ({
  ...x,
  status: 'open',
  firstSeenAt,
  lastSeenAt: firstSeenAt,
  resolvedAt: null,
});
const now = '2026-11-26T02:00:00.000Z';

describe('diffFindings', () => {
  it('opens, updates, keeps and resolves', () => {
    const d = diffFindings({
      open: [ledger(f('d1', 'stale_deal', { idleDays: 15 })), ledger(f('d1', 'missing_amount')), ledger(f('d2', 'single_threaded'))],
      current: [f('d1', 'stale_deal', { idleDays: 21 }), f('d1', 'missing_amount'), f('d3', 'close_date_passed', {}, 'critical')],
      now,
    });
    expect(d.opened.map((o) => [o.finding.dealId, o.finding.ruleId, o.openedAt])).toEqual([['d3', 'close_date_passed', now]]);
    expect(d.updated.map((o) => o.finding.evidence)).toEqual([{ idleDays: 21 }]);
    expect(d.stillOpen.map((o) => o.finding.ruleId)).toEqual(['missing_amount']);
    expect(d.resolved.map((o) => [o.previous.dealId, o.resolvedAt])).toEqual([['d2', now]]);
  });

  it('keeps the annotation key for the whole life of a finding', () => {
    const first = diffFindings({ open: [], current: [f('d1', 'stale_deal')], now: '2026-11-20T02:00:00.000Z' });
    const key = first.opened[0]!.key;
    const later = diffFindings({ open: [ledger(f('d1', 'stale_deal'))], current: [f('d1', 'stale_deal', { n: 2 })], now });
    expect(later.updated[0]!.key).toBe(key);
    const resolved = diffFindings({ open: [ledger(f('d1', 'stale_deal'))], current: [], now });
    expect(resolved.resolved[0]!.key).toBe(key);
  });

  it('treats evidence key order and severity changes correctly', () => {
    const d = diffFindings({
      open: [ledger(f('d1', 'x', { a: 1, b: [1, { c: 2, d: 3 }] }))],
      current: [f('d1', 'x', { b: [1, { d: 3, c: 2 }], a: 1 })],
      now,
    });
    expect(d.stillOpen).toHaveLength(1);
    const sev = diffFindings({ open: [ledger(f('d1', 'x'))], current: [f('d1', 'x', { n: 1 }, 'critical')], now });
    expect(sev.updated).toHaveLength(1);
  });

  it('resolves only on deals this run evaluated', () => {
    const d = diffFindings({ open: [ledger(f('d1', 'x')), ledger(f('d2', 'x'))], current: [], evaluatedDealIds: ['d2'], now });
    expect(d.resolved.map((r) => r.previous.dealId)).toEqual(['d2']);
  });

  it('ignores already resolved ledger rows (a reopened finding gets a new key)', () => {
    const old: LedgerFinding = { ...ledger(f('d1', 'x')), status: 'resolved', resolvedAt: '2026-11-21T02:00:00.000Z' };
    const d = diffFindings({ open: [old], current: [f('d1', 'x')], now });
    expect(d.opened).toHaveLength(1);
    expect(d.opened[0]!.key).not.toBe(annotationKey('acme', 'd1', 'x', old.firstSeenAt));
  });
});

describe('annotationKey', () => {
  it('is deterministic, short and text-safe', () => {
    const k = annotationKey('acme', '006A', 'stale_deal', '2026-11-20T02:00:00.000Z');
    expect(k).toMatch(/^dw:[a-z2-7]{13}$/);
    expect(annotationKey('acme', '006A', 'stale_deal', '2026-11-20T02:00:00.000Z')).toBe(k);
    expect(annotationKey('acme', '006B', 'stale_deal', '2026-11-20T02:00:00.000Z')).not.toBe(k);
    expect(annotationKey('acme', '006A', 'stale_deal', '2026-11-21T02:00:00.000Z')).not.toBe(k);
  });

  it('does not collide on 50,000 distinct tuples', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) seen.add(annotationKey('c', `d${i}`, 'stale_deal', '2026-11-20T02:00:00.000Z'));
    expect(seen.size).toBe(50_000);
  });
});
