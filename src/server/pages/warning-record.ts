/**
 * The warning record a rep sees in the CRM for a deal, as the deal page shows it. The one place
 * the pages read that text from: it follows the write-back's own wording (`warningFor`).
 */
import { warningFor } from '../../../jobs/annotation-text.js';
import type { LedgerEntry } from '../../store/types.js';

export interface WarningRecordView {
  title: string;
  body: string;
  dueDate: string | null;
}

/** The records the write-back puts (or would put) on the deal for its open findings. */
export function warningRecordsOf(openFindings: readonly LedgerEntry[], ownerId: string | null, today: string): WarningRecordView[] {
  return openFindings.map((entry) => {
    const record = warningFor(entry, ownerId, today);
    return { title: record.title, body: record.body, dueDate: record.dueDate ?? null };
  });
}
