/** Pipeline changes between two days: the waterfall and the deals behind it. */
import type { HistoryChanges } from '../../domain/engine.js';
import { waterfallChart } from './charts.js';
import { amount, html, link, table, type Html } from './html.js';
import { pagePaths } from './paths.js';

export function changesBody(
  connectionId: string,
  changes: HistoryChanges,
  ownerName: (id: string | null) => string,
  dealName: (id: string) => string,
): Html {
  const form = html`<form class="filters" method="get" action="${pagePaths.changes(connectionId)}">
<label>From<input type="date" name="from" value="${changes.fromDay}"></label>
<label>To<input type="date" name="to" value="${changes.toDay}"></label>
<button type="submit">Show</button></form>`;
  const period = `${changes.fromDay} to ${changes.toDay}`;
  const check = changes.snapshotCheck;
  const disagree =
    'The daily snapshots disagree with the CRM history on ' + `${check.differences.length} figures (a snapshot is one moment of its day).`;
  return html`${form}
<div class="charts">${changes.waterfalls.map((w) => waterfallChart(w, period))}</div>
${check.available && check.agrees === false ? html`<p class="muted">${disagree}</p>` : ''}
<h2>Deals that moved (${changes.changes.length})</h2>
${table(
  ['Deal', 'Owner', 'Change', 'Before', 'After', 'Effect'],
  changes.changes.map((c) => [
    link(pagePaths.deal(connectionId, c.dealId), dealName(c.dealId)),
    ownerName(c.ownerId),
    c.kind.replaceAll('_', ' '),
    amount(c.before),
    amount(c.after),
    `${c.delta >= 0 ? '+' : ''}${amount(c.delta)} ${c.currency}`,
  ]),
  { numeric: [3, 4, 5], id: 'changes' },
)}`;
}
