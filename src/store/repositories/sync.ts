import type { ApiUsage, SyncCursor, SyncStream } from '../../domain/model/index.js';
import type { Db, Row, Tables } from '../db.js';
import type { CursorRepository, SyncRun, SyncRunRepository } from '../types.js';

export function cursorRepository(db: Db, t: Tables): CursorRepository {
  return {
    async get(connectionId, stream) {
      const [row] = await db.query<{ stamp: string; record_id: string; walk_phase: string | null; walk_after: string | null }>(
        `SELECT stamp, record_id, walk_phase, walk_after FROM ${t.cursors} WHERE connection_id = $1 AND stream = $2`,
        [connectionId, stream],
      );
      if (!row) return null;
      const cursor: SyncCursor = { stamp: row.stamp, id: row.record_id };
      if (row.walk_phase !== null) cursor.walk = { phase: row.walk_phase, after: row.walk_after };
      return cursor;
    },

    async set(connectionId, stream, cursor) {
      await db.query(
        `INSERT INTO ${t.cursors} (connection_id, stream, stamp, record_id, walk_phase, walk_after) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (connection_id, stream) DO UPDATE SET stamp = EXCLUDED.stamp, record_id = EXCLUDED.record_id,
           walk_phase = EXCLUDED.walk_phase, walk_after = EXCLUDED.walk_after, updated_at = now()`,
        [connectionId, stream, cursor.stamp, cursor.id, cursor.walk?.phase ?? null, cursor.walk?.after ?? null],
      );
    },

    async reset(connectionId, stream?: SyncStream) {
      await db.query(`DELETE FROM ${t.cursors} WHERE connection_id = $1 AND ($2::text IS NULL OR stream = $2)`, [
        connectionId,
        stream ?? null,
      ]);
    },
  };
}

function toSyncRun(row: Row): SyncRun {
  return {
    id: row.id as number,
    connectionId: row.connection_id as string,
    mode: row.mode as SyncRun['mode'],
    trigger: row.trigger as string,
    status: row.status as SyncRun['status'],
    startedAt: row.started_at as string,
    finishedAt: row.finished_at as string | null,
    counts: row.counts as SyncRun['counts'],
    apiUsage: row.api_usage as ApiUsage | null,
    error: row.error as string | null,
  };
}

export function syncRunRepository(db: Db, t: Tables): SyncRunRepository {
  return {
    async start(connectionId, run) {
      const [row] = await db.query<{ id: number }>(
        `INSERT INTO ${t.syncRuns} (connection_id, mode, trigger, status, started_at) VALUES ($1, $2, $3, 'running', $4) RETURNING id`,
        [connectionId, run.mode, run.trigger, run.startedAt],
      );
      if (row === undefined) throw new Error('sync run insert returned no id');
      return row.id;
    },

    async finish(connectionId, runId, outcome) {
      await db.query(
        `UPDATE ${t.syncRuns} SET status = $3, finished_at = $4, counts = $5::jsonb, api_usage = $6::jsonb, error = $7
         WHERE connection_id = $1 AND id = $2`,
        [
          connectionId,
          runId,
          outcome.status,
          outcome.finishedAt,
          JSON.stringify(outcome.counts),
          outcome.apiUsage === null ? null : JSON.stringify(outcome.apiUsage),
          outcome.error ?? null,
        ],
      );
    },

    async recordWriteFailures(connectionId, failures) {
      await db.query(
        `UPDATE ${t.syncRuns}
            SET status = CASE WHEN status = 'ok' THEN 'partial' ELSE status END,
                error = CASE WHEN error IS NULL OR error = '' THEN $3
                  WHEN position($3 in error) > 0 THEN error ELSE error || '; ' || $3 END,
                counts = jsonb_set(COALESCE(counts, '{}'::jsonb), '{failedWrites}', to_jsonb($2::int))
          WHERE id = (SELECT max(id) FROM ${t.syncRuns} WHERE connection_id = $1 AND status <> 'running')`,
        [connectionId, failures.failed, failures.error],
      );
    },

    async get(connectionId, runId) {
      const [row] = await db.query(`SELECT * FROM ${t.syncRuns} WHERE connection_id = $1 AND id = $2`, [connectionId, runId]);
      return row ? toSyncRun(row) : null;
    },

    async latest(connectionId, limit = 20) {
      const rows = await db.query(`SELECT * FROM ${t.syncRuns} WHERE connection_id = $1 ORDER BY id DESC LIMIT $2`, [connectionId, limit]);
      return rows.map(toSyncRun);
    },
  };
}
