import type { DealSnapshot } from '../../domain/model/index.js';
import type { Db, Row, Tables } from '../db.js';
import type { SnapshotRepository } from '../types.js';

function toSnapshot(row: Row): DealSnapshot {
  return {
    connectionId: row.connection_id as string,
    day: row.day as string,
    dealId: row.deal_id as string,
    ownerId: row.owner_id as string | null,
    pipeline: row.pipeline as string,
    stageId: row.stage_id as string,
    amount: row.amount as number | null,
    currency: row.currency as string | null,
    closeDate: row.close_date as string | null,
    probability: row.probability as number | null,
    forecastCategory: row.forecast_category as string | null,
    isClosed: row.is_closed as boolean,
    isWon: row.is_won as boolean,
  };
}

export function snapshotRepository(db: Db, t: Tables): SnapshotRepository {
  return {
    take(connectionId, day) {
      return db.transaction(async (tx) => {
        await tx.query(`DELETE FROM ${t.snapshots} WHERE connection_id = $1 AND day = $2::date`, [connectionId, day]);
        const rows = await tx.query(
          `INSERT INTO ${t.snapshots}
             (connection_id, day, deal_id, owner_id, pipeline, stage_id, amount, currency, close_date,
              probability, forecast_category, is_closed, is_won)
           SELECT connection_id, $2::date, external_id, owner_id, pipeline, stage_id, amount, currency, close_date,
             probability, forecast_category, is_closed, is_won
           FROM ${t.deals} WHERE connection_id = $1 AND NOT is_deleted
           RETURNING deal_id`,
          [connectionId, day],
        );
        return rows.length;
      });
    },

    async read(connectionId, fromDay, toDay, dealIds) {
      // Scoped and whole-book reads are two statements so the scoped one can use the deal index.
      const rows = await db.query(
        `SELECT * FROM ${t.snapshots} WHERE connection_id = $1 AND day BETWEEN $2::date AND $3::date
           ${dealIds ? 'AND deal_id = ANY($4::text[])' : ''}
         ORDER BY day, deal_id`,
        dealIds ? [connectionId, fromDay, toDay, [...dealIds]] : [connectionId, fromDay, toDay],
      );
      return rows.map(toSnapshot);
    },

    async days(connectionId, limit = 400) {
      const rows = await db.query<{ day: string }>(
        `SELECT DISTINCT day FROM ${t.snapshots} WHERE connection_id = $1 ORDER BY day DESC LIMIT $2`,
        [connectionId, limit],
      );
      return rows.map((row) => row.day);
    },
  };
}
