/** A connection's sync status as the API and the connections page show it. */
import type { ConnectionSettings } from '../domain/model/index.js';
import type { JobControl, ServerStore } from './ports.js';

export type ConnectionStatus = Awaited<ReturnType<typeof connectionView>>;

/** Last run, pause reason and next scheduled run of one connection. */
export async function connectionView(connection: ConnectionSettings, store: ServerStore, jobs: JobControl) {
  const [state, runs, nextScheduledRun] = await Promise.all([
    store.connectionState.get(connection.id),
    store.syncRuns.latest(connection.id, 1),
    jobs.nextScheduledRun(connection.id),
  ]);
  const last = runs[0] ?? null;
  return {
    id: connection.id,
    provider: connection.provider,
    name: connection.name ?? connection.id,
    status: state.pausedReason !== null ? ('paused' as const) : (last?.status ?? ('never_synced' as const)),
    pausedReason: state.pausedReason,
    lastSyncRun:
      last === null
        ? null
        : {
            id: last.id,
            mode: last.mode,
            trigger: last.trigger,
            status: last.status,
            startedAt: last.startedAt,
            finishedAt: last.finishedAt,
            counts: Object.fromEntries(Object.entries(last.counts).filter((e): e is [string, number] => typeof e[1] === 'number')),
            apiUsage: last.apiUsage,
            error: last.error,
          },
    nextScheduledRun,
  };
}
