/** The morning review as one HTML page, for managers who open it in a browser. */
import type { MoneyTotal, MorningReview } from '../../domain/engine.js';

import { escapeHtml } from './html.js';

export { escapeHtml };

const money = (total: MoneyTotal): string =>
  total.length === 0 ? '0' : total.map((m) => `${Math.round(m.amount).toLocaleString('en-US')} ${m.currency}`).join(' + ');
const percent = (x: number | null): string => (x === null ? '-' : `${Math.round(x * 100)}%`);

function table(head: string[], rows: unknown[][]): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function renderReviewPage(connectionName: string, review: MorningReview): string {
  const f = review.forecast;
  const change =
    f.change === null ? 'no snapshot a week ago' : `${f.change >= 0 ? '+' : ''}${f.change.toLocaleString('en-US')} vs last week`;
  const expectedNow = escapeHtml(f.expectedNow.toLocaleString('en-US'));
  const closedWonNow = escapeHtml(f.closedWonNow.toLocaleString('en-US'));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Morning review: ${escapeHtml(connectionName)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem}table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}
th,td{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}th{background:#f5f5f5}.none{color:#777}</style></head>
<body>
<h1>Morning review: ${escapeHtml(connectionName)}</h1>
<p>${escapeHtml(review.asOf)} (${escapeHtml(review.timezone)}), amounts in ${escapeHtml(review.currency)}</p>
<h2>Forecast ${escapeHtml(f.period)}</h2>
<p>Expected ${expectedNow} ${escapeHtml(f.currency)} (${escapeHtml(change)}); closed won ${closedWonNow}</p>
<h2>New critical findings (${review.newCritical.length})</h2>
${table(
  ['Deal', 'Owner', 'Amount', 'Score', 'Findings'],
  review.newCritical.map((d) => [
    d.name,
    d.ownerName,
    money(d.amount),
    d.score ?? '-',
    d.findings.map((x) => `${x.ruleId}: ${x.message} ${x.suggestedAction}`).join(' | '),
  ]),
)}
<h2>Reps by stale pipeline</h2>
${table(
  ['Rep', 'Stale pipeline', 'Stale deals', 'Stale share', 'Compliance', 'Open deals'],
  review.reps.map((r) => [r.name, money(r.stalePipeline), r.staleDeals, percent(r.staleShare), percent(r.complianceRate), r.openDeals]),
)}
<h2>KPI trend flags (${review.trendFlags.length})</h2>
${table(
  ['Scope', 'Period', 'Flag'],
  review.trendFlags.map((t) => [t.name, t.period, t.flag.message]),
)}
</body></html>
`;
}
