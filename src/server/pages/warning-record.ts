/**
 * The warning record a rep sees in the CRM for a deal, as the deal page shows it. The one place
 * the pages read that text from: it is the write-back's own rendering (`warningFor`) of the deal's
 * one record, so the page and the CRM read the same.
 */
import { warningFor } from '../../../jobs/annotation-text.js';
import type { LedgerEntry, WarningRecordEntry } from '../../store/types.js';

export interface WarningRecordView {
  title: string;
  body: string;
  dueDate: string | null;
}

/** The deal's open warning record as the write-back puts (or would put) it; none when the deal has no open record. */
export function warningRecordsOf(
  record: WarningRecordEntry | null,
  findings: readonly LedgerEntry[],
  context: { ownerId: string | null; today: string; timezone: string; approverName?: string | null },
): WarningRecordView[] {
  if (record === null || record.state !== 'open') return [];
  const annotation = warningFor(record, findings, context);
  return [{ title: annotation.title, body: annotation.body, dueDate: annotation.dueDate ?? null }];
}
