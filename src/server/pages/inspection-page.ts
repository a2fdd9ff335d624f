/**
 * The inspection table: a connection's open deals, filtered and sorted on the server, one page
 * at a time, each row linked to the deal's CRM record and its page here.
 */
import type { DealListItem, DealSort } from '../../store/types.js';
import { amount, day, html, link, raw, type Html } from './html.js';
import { pagePaths } from './paths.js';

export const CLOSE_PERIODS = { overdue: 'Overdue', this_quarter: 'This fiscal quarter', next_quarter: 'Next fiscal quarter' } as const;
export type ClosePeriod = keyof typeof CLOSE_PERIODS;

/** The query string of the inspection page, as the form and the links write it. */
export interface InspectionQuery {
  owner?: string | undefined;
  team?: string | undefined;
  stage?: string | undefined;
  band?: 'healthy' | 'at_risk' | 'critical' | undefined;
  rule?: string | undefined;
  close?: ClosePeriod | undefined;
  key?: 'yes' | undefined;
  sort: DealSort;
  dir: 'asc' | 'desc';
  cursor?: string | undefined;
}

export interface InspectionView {
  connectionId: string;
  query: InspectionQuery;
  options: {
    owners: readonly { id: string; name: string }[];
    teams: readonly string[];
    stages: readonly { id: string; label: string }[];
    rules: readonly string[];
  };
  items: readonly DealListItem[];
  matching: number;
  /** Cursor of the next page, sealed; null on the last. */
  nextCursor: string | null;
  ownerName: (id: string | null) => string;
  stageLabel: (id: string) => string;
  crmUrl: (dealId: string) => string | null;
  crmName: string;
  scoreChart: Html;
}

const FILTER_KEYS = ['owner', 'team', 'stage', 'band', 'rule', 'close', 'key'] as const;

/** The page's address with these parameters (empty ones left out). */
export function inspectionHref(connectionId: string, params: Partial<InspectionQuery>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.set(k, String(v));
  const qs = search.toString();
  return `${pagePaths.deals(connectionId)}${qs === '' ? '' : `?${qs}`}`;
}

function select(name: string, label: string, current: string | undefined, options: readonly (readonly [string, string])[]): Html {
  return html`<label>${label}<select name="${name}"><option value="">any</option>${options.map(
    ([value, text]) => html`<option value="${value}"${value === current ? raw(' selected') : ''}>${text}</option>`,
  )}</select></label>`;
}

export function inspectionBody(v: InspectionView): Html {
  const q = v.query;
  const filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, q[k]])) as Partial<InspectionQuery>;
  const heading = (sort: DealSort, text: string): Html => {
    const active = q.sort === sort;
    const dir = active && q.dir === 'asc' ? 'desc' : 'asc';
    const arrow = active ? (q.dir === 'asc' ? ' ▲' : ' ▼') : '';
    return link(
      inspectionHref(v.connectionId, { ...filters, sort, dir }),
      `${text}${arrow}`,
      active ? ` aria-sort="${q.dir === 'asc' ? 'ascending' : 'descending'}"` : '',
    );
  };
  const form = html`<form class="filters" method="get" action="${pagePaths.deals(v.connectionId)}">
${select(
  'owner',
  'Owner',
  q.owner,
  v.options.owners.map((o) => [o.id, o.name] as const),
)}
${select(
  'team',
  'Team',
  q.team,
  v.options.teams.map((t) => [t, t] as const),
)}
${select(
  'stage',
  'Stage',
  q.stage,
  v.options.stages.map((s) => [s.id, s.label] as const),
)}
${select('band', 'Band', q.band, [
  ['critical', 'critical'],
  ['at_risk', 'at risk'],
  ['healthy', 'healthy'],
])}
${select(
  'rule',
  'Rule',
  q.rule,
  v.options.rules.map((r) => [r, r.replaceAll('_', ' ')] as const),
)}
${select('close', 'Close period', q.close, Object.entries(CLOSE_PERIODS))}
${select('key', 'Key account', q.key, [['yes', 'key accounts only']])}
<input type="hidden" name="sort" value="${q.sort}"><input type="hidden" name="dir" value="${q.dir}">
<button type="submit">Apply</button> ${link(pagePaths.deals(v.connectionId), 'Clear')}
</form>`;
  const rows = v.items.map(({ deal, score, openRuleIds }) => {
    const crm = v.crmUrl(deal.externalId);
    return [
      link(pagePaths.deal(v.connectionId, deal.externalId), deal.name, ' class="deal"'),
      crm === null ? '-' : link(crm, `Open in ${v.crmName}`, ' class="crm" rel="noopener noreferrer" target="_blank"'),
      v.ownerName(deal.ownerId),
      v.stageLabel(deal.stageId),
      `${amount(deal.amount)} ${deal.currency ?? ''}`.trim(),
      day(deal.closeDate),
      score === null ? '-' : html`${score.score} <span class="band band-${score.band}">${score.band.replace('_', ' ')}</span>`,
      openRuleIds.map((r) => r.replaceAll('_', ' ')).join(', '),
    ];
  });
  const dealCells = html`<th>${heading('name', 'Deal')}</th><th>CRM</th><th>Owner</th><th>Stage</th>`;
  const amountCell = html`<th class="num">${heading('amount', 'Amount')}</th>`;
  const dateAndScore = html`<th>${heading('closeDate', 'Close date')}</th><th>${heading('score', 'Score')}</th>`;
  const head = html`<thead><tr>${dealCells}${amountCell}${dateAndScore}<th>Open findings</th></tr></thead>`;
  const numeric = new Set([4]);
  const body =
    rows.length === 0
      ? html`<p class="none">No open deal matches these filters.</p>`
      : html`<table id="deals">${head}<tbody>
${rows.map((r) => html`<tr>${r.map((c, i) => html`<td${numeric.has(i) ? raw(' class="num"') : ''}>${c}</td>`)}</tr>\n`)}</tbody></table>`;
  const next =
    v.nextCursor === null
      ? ''
      : link(inspectionHref(v.connectionId, { ...filters, sort: q.sort, dir: q.dir, cursor: v.nextCursor }), 'Next page', ' rel="next"');
  const pager = html`<p class="pager"><span id="matching">${v.matching.toLocaleString('en-US')} open deals match</span>
${q.cursor === undefined ? '' : link(inspectionHref(v.connectionId, { ...filters, sort: q.sort, dir: q.dir }), 'First page')}
${next}</p>`;
  return html`${form}${pager}${body}${pager}<h2>Scores</h2><div class="charts">${v.scoreChart}</div>`;
}
