/**
 * Findings lifecycle between two runs: which annotations to create, update, leave alone or clear.
 */
import type { Finding, LedgerFinding } from '../model/finding.js';
import { annotationKey } from './key.js';

/** A finding opened by this run, with the key its annotation gets. */
export interface OpenedFinding {
  key: string;
  finding: Finding;
  /** This run's instant; becomes the ledger's `firstSeenAt`. */
  openedAt: string;
}

/** A finding that stays open; `previous` is the ledger row. */
export interface ContinuingFinding {
  key: string;
  previous: LedgerFinding;
  finding: Finding;
}

/** A ledger finding whose condition cleared. */
export interface ResolvedFinding {
  key: string;
  previous: LedgerFinding;
  resolvedAt: string;
}

/** What the writer must do after a run. */
export interface FindingsDiff {
  /** New: create an annotation. */
  opened: OpenedFinding[];
  /** Still open with changed severity, message numbers or evidence: update the annotation. */
  updated: ContinuingFinding[];
  /** Still open and unchanged: nothing to write (refresh `lastSeenAt`). */
  stillOpen: ContinuingFinding[];
  /** Cleared: resolve the annotation. */
  resolved: ResolvedFinding[];
}

/** Input of {@link diffFindings}. */
export interface DiffInput {
  /** Open findings from the ledger (resolved rows are ignored). */
  open: readonly LedgerFinding[];
  /** This run's findings. */
  current: readonly Finding[];
  /**
   * The deals this run evaluated. Ledger findings on other deals are left alone (a webhook run
   * rescoring one deal must not resolve everyone else's). Omitted: every deal in `open`
   * and `current` was evaluated. Deleted or filtered-out deals belong here so they resolve.
   */
  evaluatedDealIds?: Iterable<string>;
  /** The run's instant (ISO). */
  now: string;
}

/** Key identifying a finding across runs: one open finding per deal and rule. */
function identity(dealId: string, ruleId: string): string {
  return `${dealId}\u001f${ruleId}`;
}

/** JSON with sorted object keys, so evidence compares by content. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`)
    .join(',')}}`;
}

/** True when the annotation text or data would change. */
function changed(prev: Finding, next: Finding): boolean {
  return (
    prev.severity !== next.severity || prev.message !== next.message || stableStringify(prev.evidence) !== stableStringify(next.evidence)
  );
}

/**
 * Diffs the ledger's open findings against this run's. Deterministic: outputs are sorted by
 * deal id then rule id. The key of an open finding is derived from its `firstSeenAt`, so it
 * stays the same for the finding's whole life.
 */
export function diffFindings(input: DiffInput): FindingsDiff {
  const evaluated = input.evaluatedDealIds ? new Set(input.evaluatedDealIds) : null;
  const openById = new Map<string, LedgerFinding>();
  for (const f of input.open) if (f.status === 'open') openById.set(identity(f.dealId, f.ruleId), f);
  const diff: FindingsDiff = { opened: [], updated: [], stillOpen: [], resolved: [] };
  const seen = new Set<string>();
  for (const f of input.current) {
    const id = identity(f.dealId, f.ruleId);
    if (seen.has(id)) continue; // one finding per deal and rule
    seen.add(id);
    const prev = openById.get(id);
    if (!prev) {
      diff.opened.push({ key: annotationKey(f.connectionId, f.dealId, f.ruleId, input.now), finding: f, openedAt: input.now });
      continue;
    }
    const item = { key: annotationKey(prev.connectionId, prev.dealId, prev.ruleId, prev.firstSeenAt), previous: prev, finding: f };
    (changed(prev, f) ? diff.updated : diff.stillOpen).push(item);
  }
  for (const [id, prev] of openById) {
    if (seen.has(id)) continue;
    if (evaluated && !evaluated.has(prev.dealId)) continue;
    diff.resolved.push({
      key: annotationKey(prev.connectionId, prev.dealId, prev.ruleId, prev.firstSeenAt),
      previous: prev,
      resolvedAt: input.now,
    });
  }
  const byDealRule = (a: { dealId: string; ruleId: string }, b: { dealId: string; ruleId: string }): number =>
    a.dealId < b.dealId ? -1 : a.dealId > b.dealId ? 1 : a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0;
  diff.opened.sort((a, b) => byDealRule(a.finding, b.finding));
  diff.updated.sort((a, b) => byDealRule(a.finding, b.finding));
  diff.stillOpen.sort((a, b) => byDealRule(a.finding, b.finding));
  diff.resolved.sort((a, b) => byDealRule(a.previous, b.previous));
  return diff;
}
