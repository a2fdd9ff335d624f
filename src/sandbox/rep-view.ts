/**
 * A deal as a rep sees it in the CRM: its name, stage and amount, dealwatch's score and flags
 * (flags by their readable names), and the deal's warning records as they read now (each record's
 * create and later updates merged). Used by the admin surface and the demo.
 */
import { ruleName } from '../domain/rules/names.js';
import type { Annotation } from './call-log.js';
import type { SandboxState } from './sandbox-types.js';

export interface RepRecord {
  recordId: string;
  kind: 'note' | 'task';
  dealId: string;
  /** Completed (tasks) or reading "all clear". */
  closed: boolean;
  text: string;
  fields: Record<string, unknown>;
}

/** Each warning record written (notes, tasks), its create and later updates merged, by record id. */
export function currentRecords(annotations: readonly Annotation[]): Map<string, RepRecord> {
  const merged = new Map<string, { kind: 'note' | 'task'; dealId: string; fields: Record<string, unknown> }>();
  for (const a of annotations) {
    if (a.kind !== 'note' && a.kind !== 'task') continue;
    const id = `${a.provider}:${a.recordId}`;
    const previous = merged.get(id);
    merged.set(id, { kind: a.kind, dealId: previous?.dealId || a.dealId, fields: { ...previous?.fields, ...a.fields } });
  }
  const out = new Map<string, RepRecord>();
  for (const [id, r] of merged) {
    const text = asRepSeesIt(r.fields);
    const closed =
      r.fields['Status'] === 'Completed' || r.fields['hs_task_status'] === 'COMPLETED' || /Pipeline health: all clear/.test(text);
    out.set(id, { recordId: id.slice(id.indexOf(':') + 1), kind: r.kind, dealId: r.dealId, closed, text, fields: r.fields });
  }
  return out;
}

/**
 * A written note or task as the rep reads it in the CRM: HubSpot note bodies are HTML
 * (`hs_note_body`, `hs_task_body`), Salesforce Tasks are Subject + Description + due date,
 * Salesforce notes Title + Content.
 */
export function asRepSeesIt(fields: Record<string, unknown>): string {
  const text = (key: string): string | null => (typeof fields[key] === 'string' && fields[key] !== '' ? (fields[key] as string) : null);
  const html = text('hs_note_body') ?? text('hs_task_body') ?? text('Content');
  if (html !== null) {
    const subject = text('hs_task_subject') ?? text('Title');
    const body = html
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/p>/gi, '\n')
      .replace(/<[^>]+>/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&')
      .trim();
    return subject === null ? body : `${subject}\n${body}`;
  }
  const lines = [text('Subject'), text('Description')].filter((l): l is string => l !== null);
  const due = text('ActivityDate');
  if (due !== null) lines.push(`Due ${due}${text('Priority') ? `, priority ${text('Priority')}` : ''}`);
  return lines.join('\n');
}

export interface RepDealView {
  provider: 'hubspot' | 'salesforce';
  dealId: string;
  name: string;
  stage: string;
  amount: number | null;
  /** dealwatch's health score on the deal (null: never written). */
  score: string | null;
  /** The flags as the CRM's filter shows them: readable rule names. */
  flags: string[];
  /** The deal's warning records, open ones first. */
  warnings: RepRecord[];
}

const SCORE_FIELD = { hubspot: 'dealwatch_score', salesforce: 'Dealwatch_Score__c' } as const;
const FLAGS_FIELD = { hubspot: 'dealwatch_flags', salesforce: 'Dealwatch_Flags__c' } as const;

/** The deal as its rep sees it; null when the deal does not exist. */
export function repDealView(state: SandboxState, provider: 'hubspot' | 'salesforce', dealId: string): RepDealView | null {
  const book = state[provider];
  const deal = book.deals.find((d) => d.id === dealId || d.id.slice(0, 15) === dealId.slice(0, 15));
  if (!deal) return null;
  const pipeline = book.pipelines[deal.pipeline] ?? book.pipelines[0];
  const custom = (deal.custom ?? {}) as Record<string, unknown>;
  const flags = String(custom[FLAGS_FIELD[provider]] ?? '')
    .split(';')
    .filter((f) => f !== '');
  const warnings = [...currentRecords(state.annotations.filter((a) => a.provider === provider)).values()]
    .filter((r) => r.dealId === deal.id)
    .sort((a, b) => Number(a.closed) - Number(b.closed));
  return {
    provider,
    dealId: deal.id,
    name: deal.name,
    stage: pipeline?.stages[deal.stage]?.label ?? String(deal.stage),
    amount: deal.amount,
    score:
      custom[SCORE_FIELD[provider]] === undefined || custom[SCORE_FIELD[provider]] === null ? null : String(custom[SCORE_FIELD[provider]]),
    flags: flags.map(ruleName),
    warnings,
  };
}
