import type { DealFieldChange, StageChange } from '../../domain/model/index.js';
import { assertConnection, lastPerKey, pageUpsertSql, upsertResult, type Column, type Db, type Row, type Tables } from '../db.js';
import { contentHash } from '../hash.js';
import type { HistoryRepository } from '../types.js';

const STAGE_COLUMNS: readonly Column[] = [
  { name: 'deal_id', type: 'text' },
  { name: 'at', type: 'timestamptz' },
  { name: 'to_stage_id', type: 'text' },
  { name: 'from_stage_id', type: 'text' },
  { name: 'amount', type: 'numeric' },
  { name: 'close_date', type: 'date' },
  { name: 'content_hash', type: 'text' },
];

const FIELD_COLUMNS: readonly Column[] = [
  { name: 'deal_id', type: 'text' },
  { name: 'field', type: 'text' },
  { name: 'at', type: 'timestamptz' },
  { name: 'old_value', type: 'text' },
  { name: 'new_value', type: 'text' },
  { name: 'content_hash', type: 'text' },
];

/** Instants compare as instants: `…T09:00:00Z` and `…T09:00:00.000+00:00` are the same key. */
const instantKey = (iso: string) => new Date(iso).toISOString();

function toStageChange(row: Row): StageChange {
  return {
    connectionId: row.connection_id as string,
    dealId: row.deal_id as string,
    fromStageId: row.from_stage_id as string | null,
    toStageId: row.to_stage_id as string,
    at: row.at as string,
    amount: row.amount as number | null,
    closeDate: row.close_date as string | null,
  };
}

function toFieldChange(row: Row): DealFieldChange {
  return {
    connectionId: row.connection_id as string,
    dealId: row.deal_id as string,
    field: row.field as DealFieldChange['field'],
    oldValue: row.old_value as string | null,
    newValue: row.new_value as string | null,
    at: row.at as string,
  };
}

export function historyRepository(db: Db, t: Tables): HistoryRepository {
  return {
    async upsertStageChanges(connectionId, changes) {
      if (changes.length === 0) return upsertResult(0, []);
      assertConnection(connectionId, changes);
      const rows = lastPerKey(changes, (c) => `${c.dealId}\u0000${instantKey(c.at)}\u0000${c.toStageId}`).map((change) => ({
        deal_id: change.dealId,
        at: change.at,
        to_stage_id: change.toStageId,
        from_stage_id: change.fromStageId,
        amount: change.amount,
        close_date: change.closeDate,
        content_hash: contentHash({ ...change, at: instantKey(change.at), connectionId: undefined }),
      }));
      const written = await db.query<{ id: string; inserted: boolean }>(
        pageUpsertSql({
          table: t.stageChanges,
          key: ['deal_id', 'at', 'to_stage_id'],
          columns: STAGE_COLUMNS,
          returning: 't.deal_id AS id',
        }),
        [connectionId, JSON.stringify(rows)],
      );
      return upsertResult(rows.length, written);
    },

    async upsertFieldChanges(connectionId, changes) {
      if (changes.length === 0) return upsertResult(0, []);
      assertConnection(connectionId, changes);
      const rows = lastPerKey(changes, (c) => `${c.dealId}\u0000${c.field}\u0000${instantKey(c.at)}`).map((change) => ({
        deal_id: change.dealId,
        field: change.field,
        at: change.at,
        old_value: change.oldValue,
        new_value: change.newValue,
        content_hash: contentHash({ ...change, at: instantKey(change.at), connectionId: undefined }),
      }));
      const written = await db.query<{ id: string; inserted: boolean }>(
        pageUpsertSql({ table: t.fieldChanges, key: ['deal_id', 'field', 'at'], columns: FIELD_COLUMNS, returning: 't.deal_id AS id' }),
        [connectionId, JSON.stringify(rows)],
      );
      return upsertResult(rows.length, written);
    },

    async stageChanges(connectionId, options = {}) {
      const rows = await db.query(
        `SELECT * FROM ${t.stageChanges}
         WHERE connection_id = $1 AND ($2::text[] IS NULL OR deal_id = ANY($2::text[]))
           AND ($3::timestamptz IS NULL OR at >= $3::timestamptz)
         ORDER BY at, deal_id, to_stage_id`,
        [connectionId, options.dealIds ? [...options.dealIds] : null, options.since ?? null],
      );
      return rows.map(toStageChange);
    },

    async fieldChanges(connectionId, options = {}) {
      const rows = await db.query(
        `SELECT * FROM ${t.fieldChanges}
         WHERE connection_id = $1 AND ($2::text[] IS NULL OR deal_id = ANY($2::text[]))
           AND ($3::timestamptz IS NULL OR at >= $3::timestamptz)
         ORDER BY at, deal_id, field`,
        [connectionId, options.dealIds ? [...options.dealIds] : null, options.since ?? null],
      );
      return rows.map(toFieldChange);
    },
  };
}
