import type { Activity } from '../../domain/model/index.js';
import { assertConnection, lastPerKey, pageUpsertSql, upsertResult, type Column, type Db, type Row, type Tables } from '../db.js';
import { contentHash } from '../hash.js';
import type { ActivityRepository } from '../types.js';

const COLUMNS: readonly Column[] = [
  { name: 'external_id', type: 'text' },
  { name: 'type', type: 'text' },
  { name: 'direction', type: 'text' },
  { name: 'occurred_at', type: 'timestamptz' },
  { name: 'owner_id', type: 'text' },
  { name: 'deal_ids', type: 'text[]' },
  { name: 'completed', type: 'boolean' },
  { name: 'subject', type: 'text' },
  { name: 'origin', type: 'text' },
  { name: 'modified_at', type: 'timestamptz' },
  { name: 'is_deleted', type: 'boolean' },
  { name: 'content_hash', type: 'text' },
];

function toRow(activity: Activity): Row {
  const dealIds = [...new Set(activity.dealIds)].sort();
  const { connectionId: _connectionId, ...content } = { ...activity, dealIds };
  return {
    external_id: activity.externalId,
    type: activity.type,
    direction: activity.direction,
    occurred_at: activity.occurredAt,
    owner_id: activity.ownerId,
    deal_ids: dealIds,
    completed: activity.completed,
    subject: activity.subject,
    origin: activity.origin,
    modified_at: activity.modifiedAt,
    is_deleted: activity.isDeleted,
    content_hash: contentHash(content),
  };
}

function toActivity(row: Row): Activity {
  return {
    connectionId: row.connection_id as string,
    externalId: row.external_id as string,
    type: row.type as Activity['type'],
    direction: row.direction as Activity['direction'],
    occurredAt: row.occurred_at as string,
    ownerId: row.owner_id as string | null,
    dealIds: row.deal_ids as string[],
    completed: row.completed as boolean,
    subject: row.subject as string | null,
    origin: row.origin as Activity['origin'],
    modifiedAt: row.modified_at as string,
    isDeleted: row.is_deleted as boolean,
  };
}

export function activityRepository(db: Db, t: Tables): ActivityRepository {
  return {
    async upsertPage(connectionId, activities) {
      if (activities.length === 0) return upsertResult(0, []);
      assertConnection(connectionId, activities);
      const rows = lastPerKey(activities, (activity) => activity.externalId).map(toRow);
      // One statement: the upsert, then the changed activities' links brought in line with deal_ids.
      // The DELETE and INSERT touch disjoint link rows, as sibling CTEs must. The DELETE looks the
      // links up by the updated activities' ids (an array, so the (connection_id, activity_id)
      // index is used whatever the planner guesses of the CTE): a join on the CTE alone was planned
      // as a scan of every link of the connection, one per page, so a full sync slowed down as the
      // table grew. Inserted activities have no links yet and are left out.
      const written = await db.query<{ id: string; inserted: boolean }>(
        `WITH written AS (
           ${pageUpsertSql({
             table: t.activities,
             key: ['external_id'],
             columns: COLUMNS,
             onUpdate: ['updated_at = now()', 'deleted_at = NULL'],
             changedWhen: 't.content_hash <> EXCLUDED.content_hash OR t.is_deleted <> EXCLUDED.is_deleted',
             returning: 't.external_id AS id, t.deal_ids, t.is_deleted',
           })}
         ),
         unlinked AS (
           DELETE FROM ${t.activityDeals} l USING written w
           WHERE l.connection_id = $1 AND l.activity_id = ANY(ARRAY(SELECT id FROM written WHERE NOT inserted))
             AND l.activity_id = w.id AND NOT (l.deal_id = ANY(w.deal_ids))
         ),
         linked AS (
           INSERT INTO ${t.activityDeals} (connection_id, deal_id, activity_id)
           SELECT $1, deal_id, w.id FROM written w, unnest(w.deal_ids) AS deal_id
           ON CONFLICT DO NOTHING
         )
         SELECT id, inserted FROM written`,
        [connectionId, JSON.stringify(rows)],
      );
      return upsertResult(rows.length, written);
    },

    async tombstone(connectionId, externalIds, at) {
      if (externalIds.length === 0) return [];
      const rows = await db.query<{ id: string }>(
        `UPDATE ${t.activities} SET is_deleted = true, deleted_at = $3, updated_at = now()
         WHERE connection_id = $1 AND external_id = ANY($2::text[]) AND NOT is_deleted
         RETURNING external_id AS id`,
        [connectionId, [...externalIds], at],
      );
      return rows.map((row) => row.id);
    },

    async forDeals(connectionId, dealIds, options = {}) {
      const rows = await db.query(
        `SELECT a.* FROM ${t.activities} a
         WHERE a.connection_id = $1 AND NOT a.is_deleted
           AND EXISTS (SELECT 1 FROM ${t.activityDeals} l
                       WHERE l.connection_id = $1 AND l.activity_id = a.external_id AND l.deal_id = ANY($2::text[]))
           AND ($3::timestamptz IS NULL OR a.occurred_at >= $3::timestamptz)
         ORDER BY a.occurred_at DESC, a.external_id`,
        [connectionId, [...dealIds], options.since ?? null],
      );
      return rows.map(toActivity);
    },

    async dealIdsTouchedSince(connectionId, since) {
      const rows = await db.query<{ id: string }>(
        `SELECT DISTINCT deal_id AS id FROM ${t.activities} a, unnest(a.deal_ids) AS deal_id
         WHERE a.connection_id = $1 AND a.updated_at >= $2 ORDER BY 1`,
        [connectionId, since],
      );
      return rows.map((row) => row.id);
    },
  };
}
