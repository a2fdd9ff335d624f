/** How a finding reads in the CRM: the note or task a rep sees. */
import type { LedgerEntry } from '../src/store/types.js';
import type { WarningAnnotation } from '../connectors/types.js';

function humanRule(ruleId: string): string {
  const words = ruleId.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function evidenceLines(evidence: Record<string, unknown>): string[] {
  return Object.entries(evidence)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `- ${k}: ${String(v)}`);
}

/** The warning record of a ledger entry; `ownerId` is the deal owner (tasks are assigned to them). */
export function warningFor(entry: LedgerEntry, ownerId: string | null, today: string): WarningAnnotation {
  const due = new Date(Date.parse(`${today}T00:00:00Z`) + 2 * 86_400_000).toISOString().slice(0, 10);
  const evidence = evidenceLines(entry.evidence);
  const body = [
    entry.message,
    ...(evidence.length > 0 ? ['', 'Evidence:', ...evidence] : []),
    '',
    `What to do: ${entry.suggestedAction}`,
  ].join('\n');
  return {
    key: entry.annotationKey,
    dealId: entry.dealId,
    ownerId,
    ruleId: entry.ruleId,
    severity: entry.severity,
    title: `Pipeline health: ${humanRule(entry.ruleId)}`,
    body,
    dueDate: due,
  };
}
