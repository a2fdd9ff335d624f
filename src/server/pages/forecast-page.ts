/** Forecast: closed, commit, best case, pipeline, expected, quota and gap by rep, team and in total. */
import type { ForecastRollup, RollupLine } from '../../domain/engine.js';
import { forecastChart } from './charts.js';
import { amount, html, link, percent, table, type Html } from './html.js';
import { pagePaths } from './paths.js';

const HEAD = ['', 'Closed won', 'Commit', 'Best case', 'Open pipeline', 'Expected', 'Quota', 'Attainment', 'Gap', 'Open deals'];
const NUMERIC = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const cells = (l: RollupLine) => [
  amount(l.closedWon),
  amount(l.commit),
  amount(l.bestCase),
  amount(l.openPipeline),
  amount(l.expected),
  amount(l.quota),
  percent(l.attainment),
  amount(l.gap),
  l.openDeals,
];

export function forecastBody(connectionId: string, rollup: ForecastRollup, quarterIndex: number): Html {
  const q = rollup.quarters[quarterIndex];
  if (q === undefined) return html`<p class="none">No quarter to show.</p>`;
  const tabs = rollup.quarters.map((x, i) =>
    i === quarterIndex
      ? html`<strong>${x.period.label}</strong>`
      : link(`${pagePaths.forecast(connectionId)}${i === 0 ? '' : `?quarter=${i}`}`, x.period.label),
  );
  const leftOut = rollup.unconvertedDeals > 0 ? `${rollup.unconvertedDeals} deals left out: no exchange rate for their currency.` : '';
  const method = rollup.method.replaceAll('_', ' ');
  const quarter = `${q.period.start} to ${q.period.end}`;
  const caption = html`<span class="muted">(${quarter}; amounts in ${rollup.currency}; expected by ${method})</span>`;
  return html`<p>${tabs.map((t, i) => html`${i > 0 ? ' · ' : ''}${t}`)} ${caption}</p>
<div class="charts">${forecastChart(
    q.reps.map((r) => ({ name: r.name, closedWon: r.closedWon, expected: r.expected, quota: r.quota })),
    rollup.currency,
    q.period.label,
  )}</div>
<h2>By rep</h2>
${table(
  HEAD.map((h, i) => (i === 0 ? 'Rep' : h)),
  q.reps.map((r) => [r.name, ...cells(r)]),
  { numeric: NUMERIC, id: 'forecast-reps' },
)}
<h2>By team</h2>
${table(
  HEAD.map((h, i) => (i === 0 ? 'Team' : h)),
  q.teams.map((t) => [t.team, ...cells(t)]),
  { numeric: NUMERIC, id: 'forecast-teams' },
)}
<h2>Total</h2>
${table(
  HEAD.map((h, i) => (i === 0 ? '' : h)),
  [['Everyone', ...cells(q.total)]],
  { numeric: NUMERIC, id: 'forecast-total' },
)}
${leftOut === '' ? '' : html`<p class="muted">${leftOut}</p>`}`;
}
