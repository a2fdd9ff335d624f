/**
 * One deal: its score with the components, open and resolved findings with their dates, the
 * stage path with the days spent in each stage, the activity timeline, and the warning records
 * the rep sees in the CRM.
 */
import type { Activity, Deal, StageChange } from '../../domain/model/index.js';
import type { DayClock } from '../../domain/time.js';
import type { LedgerEntry, StoredScore } from '../../store/types.js';
import { amount, day, html, link, raw, table, type Html } from './html.js';
import { pagePaths } from './paths.js';
import type { WarningRecordView } from './warning-record.js';

export interface DealView {
  connectionId: string;
  deal: Deal;
  score: StoredScore | null;
  open: readonly LedgerEntry[];
  resolved: readonly LedgerEntry[];
  activities: readonly Activity[];
  stageHistory: readonly StageChange[];
  warnings: readonly WarningRecordView[];
  ownerName: string;
  stageLabel: (id: string) => string;
  crmUrl: string | null;
  crmName: string;
  clock: DayClock;
  now: Date;
}

export interface StageStay {
  stageId: string;
  enteredAt: string;
  leftAt: string | null;
  /** Calendar days in the connection's zone from entering to leaving (or to today). */
  days: number;
}

/** The stages a deal went through, oldest first, with the days it spent in each. */
export function stagePath(history: readonly StageChange[], clock: DayClock, now: Date): StageStay[] {
  const moves = [...history].sort((a, b) => a.at.localeCompare(b.at));
  return moves.map((m, i) => {
    const next = moves[i + 1];
    const left = next === undefined ? now.getTime() : Date.parse(next.at);
    return { stageId: m.toStageId, enteredAt: m.at, leftAt: next?.at ?? null, days: clock.dayOf(left) - clock.dayOf(Date.parse(m.at)) };
  });
}

const findingRows = (entries: readonly LedgerEntry[], resolved: boolean) =>
  entries.map((f) => [
    f.ruleId.replaceAll('_', ' '),
    f.severity,
    f.message,
    f.suggestedAction,
    day(f.firstSeenAt),
    ...(resolved ? [day(f.resolvedAt)] : [f.writeStatus]),
  ]);

export function dealBody(v: DealView): Html {
  const d = v.deal;
  const crmLink =
    v.crmUrl === null ? '-' : link(v.crmUrl, `Open in ${v.crmName}`, ' id="crm-link" rel="noopener noreferrer" target="_blank"');
  const facts = html`<dl class="facts">
<dt>Owner</dt><dd>${v.ownerName}</dd>
<dt>Stage</dt><dd>${v.stageLabel(d.stageId)}</dd>
<dt>Amount</dt><dd>${amount(d.amount)} ${d.currency ?? ''}</dd>
<dt>Close date</dt><dd>${day(d.closeDate)}</dd>
<dt>Account</dt><dd>${d.accountName ?? '-'}${d.accountIsTarget === true ? ' (key account)' : ''}</dd>
<dt>Next step</dt><dd>${d.nextStep ?? '-'}</dd>
<dt>CRM record</dt><dd>${crmLink}</dd>
</dl>`;
  const s = v.score;
  const score =
    s === null
      ? html`<p class="none">Not scored yet.</p>`
      : html`<p id="score"><strong>${s.score}</strong> / 100 ${bandOf(s.band)} <span class="muted">scored ${day(s.scoredAt)}</span></p>
${table(
  ['Component', 'Score', 'Weight (of 100)', 'Detail'],
  s.components.map((c) => [c.name.replaceAll('_', ' '), Math.round(c.score), c.weight, c.detail]),
  { numeric: [1, 2] },
)}
${s.suggestedAction === null ? '' : html`<p>Suggested: ${s.suggestedAction}</p>`}`;
  const path = stagePath(v.stageHistory, v.clock, v.now);
  const warnings =
    v.warnings.length === 0
      ? html`<p class="none">No open finding: no warning on the deal.</p>`
      : html`${v.warnings.map((w) => html`<h3>${w.title}${dueNote(w.dueDate)}</h3><pre class="warning">${w.body}</pre>`)}`;
  return html`${facts}
<h2>Score</h2>${score}
<h2>Open findings (${v.open.length})</h2>
${table(['Rule', 'Severity', 'What', 'What to do', 'Opened', 'Written to CRM'], findingRows(v.open, false), { id: 'open-findings' })}
<h2>Resolved findings (${v.resolved.length})</h2>
${table(['Rule', 'Severity', 'What', 'What to do', 'Opened', 'Resolved'], findingRows(v.resolved, true), { id: 'resolved-findings' })}
<h2>Stage path</h2>
${table(
  ['Stage', 'Entered', 'Left', 'Days'],
  path.map((p) => [v.stageLabel(p.stageId), day(p.enteredAt), p.leftAt === null ? raw('<em>now</em>') : day(p.leftAt), p.days]),
  { numeric: [3], id: 'stage-path' },
)}
<h2>Activity timeline</h2>
${table(
  ['When', 'Type', 'Direction', 'Subject', 'Done'],
  v.activities.map((a) => [a.occurredAt.replace('T', ' ').slice(0, 16), a.type, a.direction, a.subject ?? '-', a.completed ? 'yes' : 'no']),
  { id: 'activities' },
)}
<h2>Warning on the deal, as the rep sees it</h2>
${warnings}
<p>${link(pagePaths.deals(v.connectionId), '← All open deals')}</p>`;
}

const bandOf = (band: string) => html`<span class="band band-${band}">${band.replace('_', ' ')}</span>`;
const dueNote = (dueDate: string | null) => (dueDate === null ? '' : html` <span class="muted">(due ${dueDate})</span>`);
