/**
 * How a deal's findings read in the CRM: the one warning record (task or note) a rep sees on the
 * deal. Plain words only: rule names, the findings' own sentences (dates as people write them,
 * in the connection's time zone), what to do. No keys, rule ids or field names: the record's key
 * travels separately and each connector writes it where reps do not read it.
 */
import type { LedgerFinding, Severity } from '../src/domain/model/index.js';
import { ruleName } from '../src/domain/rules/names.js';
import { createDayClock, readableDates, readableDay, type DayClock } from '../src/domain/time.js';
import type { LedgerEntry, WarningRecordEntry } from '../src/store/types.js';
import type { WarningAnnotation } from '../connectors/types.js';

/** Every title starts so: Salesforce list views and HubSpot filters can find dealwatch's records. */
export const WARNING_TITLE_PREFIX = 'Pipeline health:';

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
const SEVERITY_WORD: Record<Severity, string> = { critical: 'Urgent', warning: 'Needs attention', info: 'Worth a look' };

export interface DealWarningInput {
  /** The deal's open findings. */
  open: readonly Pick<LedgerFinding, 'ruleId' | 'severity' | 'message' | 'suggestedAction' | 'firstSeenAt'>[];
  /** Findings resolved since the record opened. */
  resolved: readonly Pick<LedgerFinding, 'ruleId'>[];
  /** When the record opened (ISO instant): "resolved since" names that day. */
  openedAt: string;
  /** The connection's IANA time zone. */
  timezone: string;
  /** Who grants a discount approval, when a finding asks for one (a person's name). */
  approverName?: string | null;
}

export interface DealWarningText {
  title: string;
  body: string;
  /** The most severe open finding's severity (null when none is open). */
  severity: Severity | null;
}

/**
 * One day clock per time zone, for the life of the process: a write-back words thousands of
 * warnings in one zone, and building a clock (an Intl formatter) per warning was a visible part
 * of a large write-back's time.
 */
const clocks = new Map<string, DayClock>();
function clockOf(timezone: string): DayClock {
  let clock = clocks.get(timezone);
  if (clock === undefined) clocks.set(timezone, (clock = createDayClock(timezone)));
  return clock;
}

/**
 * The warning record of one deal, as the rep reads it: open findings most severe first, each with
 * what to do; then what was resolved since the record opened; "all clear" when nothing is open.
 * The one renderer of that text (write-back, the admin view and the web app use it).
 */
export function dealWarningText(input: DealWarningInput): DealWarningText {
  const open = [...input.open].sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      a.firstSeenAt.localeCompare(b.firstSeenAt) ||
      a.ruleId.localeCompare(b.ruleId),
  );
  const since = readableDay(clockOf(input.timezone).dayOf(Date.parse(input.openedAt)));
  const resolvedNames = [...new Set(input.resolved.map((f) => ruleName(f.ruleId)))];
  const resolvedLine = resolvedNames.length > 0 ? [`Resolved since ${since}: ${resolvedNames.join(', ')}.`] : [];
  const top = open[0];
  if (!top) {
    return {
      title: `${WARNING_TITLE_PREFIX} all clear`,
      body: ['Nothing needs your attention on this deal any more.', ...(resolvedLine.length ? ['', ...resolvedLine] : [])].join('\n'),
      severity: null,
    };
  }
  const title =
    open.length === 1
      ? `${WARNING_TITLE_PREFIX} ${ruleName(top.ruleId)}`
      : `${WARNING_TITLE_PREFIX} ${ruleName(top.ruleId)} and ${open.length - 1} more`;
  const lines: string[] = [
    open.length === 1
      ? 'One thing needs your attention on this deal:'
      : `${open.length} things need your attention on this deal, most urgent first:`,
  ];
  open.forEach((f, i) => {
    const approval = f.ruleId === 'discount_over_limit' && input.approverName ? ` Approval is requested from ${input.approverName}.` : '';
    lines.push(
      '',
      `${i + 1}. ${ruleName(f.ruleId)} (${SEVERITY_WORD[f.severity].toLowerCase()}): ${readableDates(f.message)}${approval}`,
      `   What to do: ${readableDates(f.suggestedAction)}`,
    );
  });
  if (resolvedLine.length > 0) lines.push('', ...resolvedLine);
  return { title, body: lines.join('\n'), severity: top.severity };
}

/** A deal's findings split as its record shows them: open ones, and those resolved since the record opened. */
export function findingsOfRecord(
  record: Pick<WarningRecordEntry, 'openedAt'>,
  findings: readonly LedgerEntry[],
): { open: LedgerEntry[]; resolved: LedgerEntry[] } {
  const openedMs = Date.parse(record.openedAt);
  return {
    open: findings.filter((f) => f.status === 'open'),
    resolved: findings.filter((f) => f.status === 'resolved' && f.resolvedAt !== null && Date.parse(f.resolvedAt) >= openedMs),
  };
}

/**
 * The write of one deal's record: created (no external id yet), updated in place, or closed when
 * nothing is open. `ownerId` is the deal owner (tasks are assigned to them); `today` the local day.
 */
export function warningFor(
  record: WarningRecordEntry,
  findings: readonly LedgerEntry[],
  context: { ownerId: string | null; today: string; timezone: string; approverName?: string | null },
): WarningAnnotation {
  const { open, resolved } = findingsOfRecord(record, findings);
  const text = dealWarningText({
    open,
    resolved,
    openedAt: record.openedAt,
    timezone: context.timezone,
    approverName: context.approverName ?? null,
  });
  const due = new Date(Date.parse(`${context.today}T00:00:00Z`) + 2 * 86_400_000).toISOString().slice(0, 10);
  return {
    key: record.recordKey,
    dealId: record.dealId,
    externalId: record.externalId,
    open: open.length > 0,
    ownerId: context.ownerId,
    severity: text.severity ?? 'info',
    title: text.title,
    body: text.body,
    dueDate: due,
  };
}

/**
 * The approval task of one deal: assigned to the approver (not the rep), asking them to grant or
 * refuse the deal's discount, in plain words. Open while the deal's discount finding is open;
 * completed when it resolves (the discount brought within the limit, or the deal closed).
 */
export function approvalFor(
  record: WarningRecordEntry,
  findings: readonly LedgerEntry[],
  context: { approverId: string | null; repName: string | null; dealName: string | null; today: string },
): WarningAnnotation {
  const finding = findings.find((f) => f.ruleId === 'discount_over_limit' && f.status === 'open');
  const deal = context.dealName ? ` on ${context.dealName}` : '';
  const who = context.repName ?? 'The deal owner';
  const body = finding
    ? [
        `${who} needs your approval for a discount${deal}:`,
        readableDates(finding.message),
        '',
        'What to do: approve the discount, or ask for it to be brought within the limit. ' +
          'This task completes itself once the discount is within the limit or the deal closes.',
      ].join('\n')
    : `The discount${deal} no longer needs an approval.`;
  const due = new Date(Date.parse(`${context.today}T00:00:00Z`) + 2 * 86_400_000).toISOString().slice(0, 10);
  return {
    key: record.recordKey,
    dealId: record.dealId,
    externalId: record.externalId,
    open: record.state === 'open' && finding !== undefined,
    ownerId: context.approverId,
    approval: true,
    severity: finding?.severity ?? 'warning',
    title: `${WARNING_TITLE_PREFIX} discount approval${deal}`,
    body,
    dueDate: due,
  };
}
