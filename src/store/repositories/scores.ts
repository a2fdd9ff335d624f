import type { DealScore, ScoreBand } from '../../domain/model/index.js';
import { assertConnection, lastPerKey, pageUpsertSql, upsertResult, type Column, type Db, type Row, type Tables } from '../db.js';
import { contentHash } from '../hash.js';
import type { DealFields, ScoreRepository, StoredScore } from '../types.js';

const COLUMNS: readonly Column[] = [
  { name: 'deal_id', type: 'text' },
  { name: 'score', type: 'integer' },
  { name: 'band', type: 'text' },
  { name: 'components', type: 'jsonb' },
  { name: 'reasons', type: 'jsonb' },
  { name: 'suggested_action', type: 'text' },
  { name: 'used_default_benchmarks', type: 'boolean' },
  { name: 'content_hash', type: 'text' },
  { name: 'scored_at', type: 'timestamptz' },
];

export function toStoredScore(row: Row): StoredScore {
  return {
    connectionId: row.connection_id as string,
    dealId: row.deal_id as string,
    score: row.score as number,
    band: row.band as StoredScore['band'],
    components: row.components as StoredScore['components'],
    reasons: row.reasons as StoredScore['reasons'],
    suggestedAction: row.suggested_action as string | null,
    usedDefaultBenchmarks: row.used_default_benchmarks as boolean,
    scoredAt: row.scored_at as string,
  };
}

export function scoreRepository(db: Db, t: Tables): ScoreRepository {
  return {
    async upsertMany(connectionId, scores, scoredAt) {
      if (scores.length === 0) return upsertResult(0, []);
      assertConnection(connectionId, scores);
      const rows = lastPerKey(scores, (score) => score.dealId).map((score: DealScore) => {
        const { connectionId: _connectionId, ...content } = score;
        return {
          deal_id: score.dealId,
          score: score.score,
          band: score.band,
          components: score.components,
          reasons: score.reasons,
          suggested_action: score.suggestedAction,
          used_default_benchmarks: score.usedDefaultBenchmarks,
          content_hash: contentHash(content),
          scored_at: scoredAt,
        };
      });
      const written = await db.query<{ id: string; inserted: boolean }>(
        pageUpsertSql({ table: t.scores, key: ['deal_id'], columns: COLUMNS, returning: 't.deal_id AS id' }),
        [connectionId, JSON.stringify(rows)],
      );
      return upsertResult(rows.length, written);
    },

    async get(connectionId, dealId) {
      const [row] = await db.query(`SELECT * FROM ${t.scores} WHERE connection_id = $1 AND deal_id = $2`, [connectionId, dealId]);
      return row ? toStoredScore(row) : null;
    },

    async forDeals(connectionId, dealIds) {
      const rows = await db.query(`SELECT * FROM ${t.scores} WHERE connection_id = $1 AND deal_id = ANY($2::text[]) ORDER BY deal_id`, [
        connectionId,
        [...dealIds],
      ]);
      return rows.map(toStoredScore);
    },

    async listOpen(connectionId) {
      const rows = await db.query(
        `SELECT s.* FROM ${t.scores} s
         JOIN ${t.deals} d ON d.connection_id = s.connection_id AND d.external_id = s.deal_id
         WHERE s.connection_id = $1 AND NOT d.is_closed AND NOT d.is_deleted
         ORDER BY s.deal_id`,
        [connectionId],
      );
      return rows.map(toStoredScore);
    },

    async histogram(connectionId, width) {
      const rows = await db.query<{ from: number; band: ScoreBand; deals: number }>(
        `SELECT (s.score / $2::int) * $2::int AS "from", s.band, count(*)::int AS deals
         FROM ${t.scores} s
         JOIN ${t.deals} d ON d.connection_id = s.connection_id AND d.external_id = s.deal_id
         WHERE s.connection_id = $1 AND NOT d.is_closed AND NOT d.is_deleted
         GROUP BY 1, 2 ORDER BY 1, 2`,
        [connectionId, Math.max(1, Math.floor(width))],
      );
      return rows;
    },

    async fieldsDue(connectionId, options = {}) {
      const rows = await db.query(
        `SELECT s.deal_id, s.score, COALESCE(f.flags, '{}'::text[]) AS flags
         FROM ${t.scores} s
         JOIN ${t.deals} d ON d.connection_id = s.connection_id AND d.external_id = s.deal_id AND NOT d.is_deleted
         LEFT JOIN (
           SELECT deal_id, array_agg(rule_id ORDER BY rule_id) AS flags
           FROM ${t.findings}
           WHERE connection_id = $1 AND status = 'open' AND ($2::text[] IS NULL OR deal_id = ANY($2::text[]))
           GROUP BY deal_id
         ) f ON f.deal_id = s.deal_id
         WHERE s.connection_id = $1 AND ($2::text[] IS NULL OR s.deal_id = ANY($2::text[]))
           AND (s.written_score IS DISTINCT FROM s.score OR s.written_flags IS DISTINCT FROM COALESCE(f.flags, '{}'::text[]))
         ORDER BY s.deal_id
         LIMIT $3`,
        [connectionId, options.dealIds ? [...options.dealIds] : null, options.limit ?? 100_000],
      );
      return rows.map((row): DealFields => ({ dealId: row.deal_id as string, score: row.score as number, flags: row.flags as string[] }));
    },

    async markFieldsWritten(connectionId, written) {
      if (written.length === 0) return;
      await db.query(
        `UPDATE ${t.scores} s SET written_score = w.score, written_flags = w.flags
         FROM jsonb_to_recordset($2::jsonb) AS w(deal_id text, score integer, flags text[])
         WHERE s.connection_id = $1 AND s.deal_id = w.deal_id`,
        [connectionId, JSON.stringify(written.map((f) => ({ deal_id: f.dealId, score: f.score, flags: f.flags })))],
      );
    },
  };
}
