/** Connections overview: each connection's last sync, status, pause reason and next run. */
import type { ConnectionStatus } from '../connection-status.js';
import { html, link, table, type Html } from './html.js';
import { pagePaths } from './paths.js';

const when = (iso: string | null | undefined): string =>
  iso === null || iso === undefined ? '-' : iso.replace('T', ' ').slice(0, 16) + ' UTC';

export function connectionsBody(connections: readonly ConnectionStatus[]): Html {
  return table(
    ['Connection', 'Provider', 'Status', 'Pause reason', 'Last sync', 'Last sync result', 'Next run', 'Pages'],
    connections.map((c) => [
      link(pagePaths.deals(c.id), c.name),
      c.provider,
      html`<span class="status-${c.status}">${c.status.replace('_', ' ')}</span>`,
      c.pausedReason ?? '-',
      when(c.lastSyncRun?.finishedAt ?? c.lastSyncRun?.startedAt),
      c.lastSyncRun === null
        ? '-'
        : `${c.lastSyncRun.mode} ${c.lastSyncRun.status}${c.lastSyncRun.error === null ? '' : `: ${c.lastSyncRun.error}`}`,
      when(c.nextScheduledRun),
      pageLinks(c.id),
    ]),
    { id: 'connections' },
  );
}

/** The links to a connection's pages, separated by middle dots. */
function pageLinks(id: string) {
  const links = [
    link(pagePaths.deals(id), 'deals'),
    link(pagePaths.forecast(id), 'forecast'),
    link(pagePaths.changes(id), 'changes'),
    link(pagePaths.reps(id), 'reps'),
  ];
  return html`${links.map((l, i) => html`${i > 0 ? ' · ' : ''}${l}`)}`;
}
