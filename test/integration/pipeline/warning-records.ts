/**
 * The warning records dealwatch wrote into the sandbox, as the CRM now holds them: every
 * create and update of a task or note in the sandbox's write log, merged per record (a record's
 * later updates overwrite its fields). Used to check "one record per deal" and what reps read.
 */
import { warningTag } from '../../../connectors/salesforce/annotate.js';
import type { Sandbox } from '../../../src/sandbox/index.js';

export interface WrittenRecord {
  provider: 'hubspot' | 'salesforce';
  dealId: string;
  recordId: string;
  /** The service's lookup key (a Task custom field, a HubSpot property, a note Title's tag); null: none. */
  key: string | null;
  /** A task not completed, or a note that does not say "all clear". */
  open: boolean;
  /** What a rep reads: subject/title and body, HTML tags stripped. */
  text: string;
  /**
   * `approval`: a deal's discount approval task (assigned to the approver, its key `dwa-...`), kept
   * apart from the one warning record per deal; `warning`: anything else dealwatch wrote.
   */
  role: 'warning' | 'approval';
  /** Whom the record is assigned to as last written (OwnerId / hubspot_owner_id); null: not set. */
  ownerId: string | null;
}

/** Approval task keys (the ledger's `approval` rows) start so; warning record keys with `dw-`. */
export const isApprovalKey = (key: string | null): boolean => key !== null && key.startsWith('dwa-');

const stripTags = (html: string): string =>
  html
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<\/p>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replaceAll('&amp;', '&')
    .replaceAll('&#39;', "'")
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');

export function writtenRecords(sandbox: Sandbox, provider: 'hubspot' | 'salesforce' | 'any'): WrittenRecord[] {
  const merged = new Map<
    string,
    { provider: 'hubspot' | 'salesforce'; dealId: string; kind: 'note' | 'task'; fields: Record<string, unknown> }
  >();
  for (const a of sandbox.state.annotations) {
    if (a.kind === 'field_update' || (provider !== 'any' && a.provider !== provider)) continue;
    const id = `${a.provider}:${a.recordId}`;
    const previous = merged.get(id);
    merged.set(id, {
      provider: a.provider,
      dealId: previous?.dealId || a.dealId,
      kind: a.kind,
      fields: { ...previous?.fields, ...a.fields },
    });
  }
  return [...merged.entries()].map(([id, r]) => {
    const f = r.fields as Record<string, string | undefined>;
    const title = f['Subject'] ?? f['Title'] ?? f['hs_task_subject'] ?? '';
    const body = f['Description'] ?? f['Content'] ?? f['hs_task_body'] ?? f['hs_note_body'] ?? '';
    const text = stripTags(`${title}\n${body}`);
    const completed = f['Status'] === 'Completed' || f['hs_task_status'] === 'COMPLETED';
    const key = f['Dealwatch_Key__c'] ?? f['dealwatch_key'] ?? /\[dw:([0-9a-f]{16})\]/.exec(f['Title'] ?? '')?.[1] ?? null;
    const ownerId = f['OwnerId'] ?? f['hubspot_owner_id'] ?? null;
    return {
      provider: r.provider,
      dealId: r.dealId,
      recordId: id.slice(id.indexOf(':') + 1),
      key,
      open: !completed && !/Pipeline health: all clear/.test(text),
      text,
      role: isApprovalKey(key) ? 'approval' : 'warning',
      ownerId,
    };
  });
}

/** Only the warning records (approval tasks left out): what "one record per deal" counts. */
export const warningsOnly = (records: readonly WrittenRecord[]): WrittenRecord[] => records.filter((r) => r.role === 'warning');

/**
 * Open warning records per deal (a deal with two is a defect). A deal's approval task is told
 * apart by its key and not counted: it is the approver's, not a second warning.
 */
export function openRecordsPerDeal(records: readonly WrittenRecord[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of records)
    if (r.open && r.role === 'warning') out.set(`${r.provider}:${r.dealId}`, (out.get(`${r.provider}:${r.dealId}`) ?? 0) + 1);
  return out;
}

/**
 * Machine text a rep should never read: keys and hashes, rule ids and field names (snake_case or
 * camelCase words), ISO dates and instants. Returns the offending fragments.
 */
export function machineText(text: string): string[] {
  const patterns = [
    /\bdw[-:][0-9a-z]+/g,
    /\bdwk[0-9a-f]{8,}/g,
    /\[dealwatch-key[^\]]*\]/g,
    /\b[a-z]+(?:_[a-z]+)+\b/g,
    /\b[a-z]+[A-Z][A-Za-z]*\b/g,
    /\b\d{4}-\d{2}-\d{2}(?:T[\d:.]+Z)?\b/g,
    /\b[0-9a-f]{16,}\b/g,
  ];
  return patterns.flatMap((p) => text.match(p) ?? []);
}

/** The rule names a record lists as open (its numbered lines), in order. */
export function listedOpen(text: string): string[] {
  return [...text.matchAll(/^\d+\. (.+?) \((?:urgent|needs attention|worth a look)\):/gm)].map((m) => m[1]!);
}

/**
 * For every record key of the ledger (one per deal record), how many records in the sandbox carry
 * it; plus the records that carry none of them (strays: written without a ledger row). A note's
 * Title carries its key's short tag (ContentNote has no custom fields), matched by the same hash.
 */
export function warningRecordsPerKey(sandbox: Sandbox, provider: 'hubspot' | 'salesforce' | 'any', ledgerKeys: ReadonlySet<string>) {
  const perKey = new Map<string, number>([...ledgerKeys].map((k) => [k, 0]));
  const byTag = new Map([...ledgerKeys].map((k) => [warningTag(k), k]));
  let strays = 0;
  for (const r of writtenRecords(sandbox, provider)) {
    const key = r.key === null ? undefined : ledgerKeys.has(r.key) ? r.key : byTag.get(r.key);
    if (key === undefined) strays += 1;
    else perKey.set(key, (perKey.get(key) ?? 0) + 1);
  }
  return { perKey, strays };
}
