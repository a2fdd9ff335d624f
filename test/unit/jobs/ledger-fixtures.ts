/** Ledger rows the write-back unit tests start from. */
import type { LedgerEntry } from '../../../src/store/types.js';

/** An open, never written stale-deal finding of `dealId`. */
export function finding(dealId: string): LedgerEntry {
  return {
    connectionId: 'hs',
    dealId,
    ruleId: 'stale_deal',
    severity: 'warning',
    message: 'No logged activity in 30 days.',
    evidence: {},
    suggestedAction: 'Call the buyer.',
    status: 'open',
    firstSeenAt: '2026-11-26T09:00:00.000Z',
    lastSeenAt: '2026-11-26T09:00:00.000Z',
    resolvedAt: null,
    annotationKey: `f-${dealId}`,
    externalId: null,
    writeStatus: 'planned',
    writeError: null,
    writeAttempts: 0,
  };
}
