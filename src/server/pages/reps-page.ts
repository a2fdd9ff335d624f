/** Reps: stale share, CRM compliance, activity against goal and the coaching diagnosis. */
import type { RepCoaching } from '../../domain/engine.js';
import type { RepsView } from '../ports.js';
import { stageConversionChart, staleShareChart } from './charts.js';
import { html, link, money, percent, table, type Html } from './html.js';
import { pagePaths } from './paths.js';

/** The rep whose stage conversion is charted: the one asked for, else the first with a skill gap, else the first. */
export function chartedRep(coaching: readonly RepCoaching[], ownerId: string | undefined): RepCoaching | undefined {
  return coaching.find((r) => r.ownerId === ownerId) ?? coaching.find((r) => r.skillGap !== null) ?? coaching[0];
}

export function repsBody(connectionId: string, view: RepsView, chartFor: string | undefined): Html {
  const coaching = new Map(view.coaching.reps.map((r) => [r.ownerId, r]));
  const goals = new Map(view.coaching.goals.map((g) => [g.ownerId, g]));
  const rows = view.reps.map((r) => {
    const c = coaching.get(r.id);
    const g = goals.get(r.id);
    const perWeek = r.periods[0]?.current.activities.perWeek;
    return [
      link(`${pagePaths.reps(connectionId)}?rep=${encodeURIComponent(r.id)}#stage-conversion`, r.name),
      r.state.openDeals,
      money(r.state.openPipeline),
      percent(r.state.staleShare),
      percent(r.state.compliance.rate),
      perWeek === undefined ? '-' : perWeek.toFixed(1),
      c === undefined ? '-' : `${c.activities30d} (team median ${c.teamMedianActivities30d})`,
      g === undefined ? '-' : `${g.goals.meetings} meetings, ${g.goals.newOpportunities} new opportunities, ${g.goals.wins} wins`,
      c === undefined ? '-' : html`<strong>${c.signal.replaceAll('_', ' ')}</strong>: ${c.message}`,
    ];
  });
  const rep = chartedRep(view.coaching.reps, chartFor);
  const conversion =
    rep === undefined || rep.stageRates.length === 0
      ? html`<p class="none">No decided deals yet to measure stage conversion.</p>`
      : stageConversionChart(
          rep.stageRates.map((s) => s.label),
          rep.teamStageRates.map((s) => s.rate),
          [{ name: rep.name, rates: rep.stageRates.map((s) => s.rate) }],
        );
  return html`<div class="charts">${staleShareChart(view.reps.map((r) => ({ name: r.name, staleShare: r.state.staleShare })))}</div>
<h2>Reps</h2>
${table(
  [
    'Rep',
    'Open deals',
    'Open pipeline',
    'Stale share',
    'Compliance',
    'Activities / week',
    'Activities 30 days',
    'Goal next week',
    'Coaching',
  ],
  rows,
  { numeric: [1, 2, 3, 4, 5], id: 'reps' },
)}
<h2 id="stage-conversion">Stage conversion${rep === undefined ? '' : `: ${rep.name} against the team`}</h2>
<div class="charts">${conversion}</div>`;
}
