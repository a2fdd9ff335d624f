import type { Deal } from '../../domain/model/index.js';
import { assertConnection, lastPerKey, pageUpsertSql, upsertResult, type Column, type Db, type Row, type Tables } from '../db.js';
import { contentHash } from '../hash.js';
import type { DealListItem, DealListQuery, DealRepository, PageOf, StoredScore } from '../types.js';
import { toStoredScore } from './scores.js';

const COLUMNS: readonly Column[] = [
  { name: 'external_id', type: 'text' },
  { name: 'name', type: 'text' },
  { name: 'owner_id', type: 'text' },
  { name: 'account_id', type: 'text' },
  { name: 'account_name', type: 'text' },
  { name: 'account_is_target', type: 'boolean' },
  { name: 'lead_source', type: 'text' },
  { name: 'pipeline', type: 'text' },
  { name: 'stage_id', type: 'text' },
  { name: 'amount', type: 'numeric' },
  { name: 'currency', type: 'text' },
  { name: 'close_date', type: 'date' },
  { name: 'created_at', type: 'timestamptz' },
  { name: 'modified_at', type: 'timestamptz' },
  { name: 'probability', type: 'double precision' },
  { name: 'forecast_category', type: 'text' },
  { name: 'next_step', type: 'text' },
  { name: 'is_closed', type: 'boolean' },
  { name: 'is_won', type: 'boolean' },
  { name: 'stage_entered_at', type: 'timestamptz' },
  { name: 'discount_percent', type: 'double precision' },
  { name: 'contact_count', type: 'integer' },
  { name: 'lost_reason', type: 'text' },
  { name: 'is_deleted', type: 'boolean' },
  { name: 'deleted_at', type: 'timestamptz' },
  { name: 'content_hash', type: 'text' },
];

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

function toRow(deal: Deal): Row {
  const { connectionId: _connectionId, ...content } = deal;
  return {
    external_id: deal.externalId,
    name: deal.name,
    owner_id: deal.ownerId,
    account_id: deal.accountId,
    account_name: deal.accountName,
    account_is_target: deal.accountIsTarget,
    lead_source: deal.leadSource,
    pipeline: deal.pipeline,
    stage_id: deal.stageId,
    amount: deal.amount,
    currency: deal.currency,
    close_date: deal.closeDate,
    created_at: deal.createdAt,
    modified_at: deal.modifiedAt,
    probability: deal.probability,
    forecast_category: deal.forecastCategory,
    next_step: deal.nextStep,
    is_closed: deal.isClosed,
    is_won: deal.isWon,
    stage_entered_at: deal.stageEnteredAt,
    discount_percent: deal.discountPercent,
    contact_count: deal.contactCount,
    lost_reason: deal.lostReason,
    is_deleted: deal.isDeleted,
    deleted_at: deal.deletedAt,
    content_hash: contentHash(content),
  };
}

export function toDeal(row: Row): Deal {
  return {
    connectionId: row.connection_id as string,
    externalId: row.external_id as string,
    name: row.name as string,
    ownerId: row.owner_id as string | null,
    accountId: row.account_id as string | null,
    accountName: row.account_name as string | null,
    accountIsTarget: (row.account_is_target as boolean | null) ?? null,
    leadSource: row.lead_source as string | null,
    pipeline: row.pipeline as string,
    stageId: row.stage_id as string,
    amount: row.amount as number | null,
    currency: row.currency as string | null,
    closeDate: row.close_date as string | null,
    createdAt: row.created_at as string,
    modifiedAt: row.modified_at as string,
    probability: row.probability as number | null,
    forecastCategory: row.forecast_category as Deal['forecastCategory'],
    nextStep: row.next_step as string | null,
    isClosed: row.is_closed as boolean,
    isWon: row.is_won as boolean,
    stageEnteredAt: row.stage_entered_at as string | null,
    discountPercent: row.discount_percent as number | null,
    contactCount: row.contact_count as number | null,
    lostReason: row.lost_reason as string | null,
    isDeleted: row.is_deleted as boolean,
    deletedAt: row.deleted_at as string | null,
  };
}

/** Keyset position: the (name, external id) of the last row of a page. */
function encodeCursor(deal: Deal): string {
  return Buffer.from(JSON.stringify([deal.name, deal.externalId])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string')) {
      return value as [string, string];
    }
  } catch {
    // fall through
  }
  throw new RangeError('invalid cursor');
}

export function dealRepository(db: Db, t: Tables): DealRepository {
  return {
    async upsertPage(connectionId, deals) {
      if (deals.length === 0) return upsertResult(0, []);
      assertConnection(connectionId, deals);
      const rows = lastPerKey(deals, (deal) => deal.externalId).map(toRow);
      const written = await db.query<{ id: string; inserted: boolean }>(
        pageUpsertSql({
          table: t.deals,
          key: ['external_id'],
          columns: COLUMNS,
          onUpdate: ['updated_at = now()'],
          // A tombstoned deal re-sent with its old content is alive again.
          changedWhen: 't.content_hash <> EXCLUDED.content_hash OR t.is_deleted <> EXCLUDED.is_deleted',
          returning: 't.external_id AS id',
        }),
        [connectionId, JSON.stringify(rows)],
      );
      return upsertResult(rows.length, written);
    },

    async tombstone(connectionId, externalIds, at) {
      if (externalIds.length === 0) return [];
      const rows = await db.query<{ id: string }>(
        `UPDATE ${t.deals} SET is_deleted = true, deleted_at = $3, updated_at = now()
         WHERE connection_id = $1 AND external_id = ANY($2::text[]) AND NOT is_deleted
         RETURNING external_id AS id`,
        [connectionId, [...externalIds], at],
      );
      return rows.map((row) => row.id);
    },

    async tombstoneAllExcept(connectionId, liveIds, at) {
      const rows = await db.query<{ id: string }>(
        `UPDATE ${t.deals} SET is_deleted = true, deleted_at = $3, updated_at = now()
         WHERE connection_id = $1 AND NOT is_deleted AND NOT (external_id = ANY($2::text[]))
         RETURNING external_id AS id`,
        [connectionId, [...liveIds], at],
      );
      return rows.map((row) => row.id).sort();
    },

    async get(connectionId, externalId) {
      const [row] = await db.query(`SELECT * FROM ${t.deals} WHERE connection_id = $1 AND external_id = $2`, [connectionId, externalId]);
      return row ? toDeal(row) : null;
    },

    async list(connectionId, query: DealListQuery = {}) {
      const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
      const params: unknown[] = [connectionId];
      const param = (value: unknown) => `$${params.push(value)}`;
      const where = ['d.connection_id = $1'];
      if (!query.includeDeleted) where.push('NOT d.is_deleted');
      const state = query.state ?? 'open';
      if (state !== 'all') where.push(state === 'open' ? 'NOT d.is_closed' : 'd.is_closed');
      if (query.ownerId !== undefined) where.push(`d.owner_id = ${param(query.ownerId)}`);
      if (query.stageId !== undefined) where.push(`d.stage_id = ${param(query.stageId)}`);
      if (query.pipeline !== undefined) where.push(`d.pipeline = ${param(query.pipeline)}`);
      if (query.band !== undefined) where.push(`s.band = ${param(query.band)}`);
      if (query.ruleId !== undefined) {
        where.push(
          `EXISTS (SELECT 1 FROM ${t.findings} f WHERE f.connection_id = d.connection_id AND f.deal_id = d.external_id AND f.status = 'open' AND f.rule_id = ${param(query.ruleId)})`,
        );
      }
      if (query.cursor) {
        const [name, externalId] = decodeCursor(query.cursor);
        where.push(`(d.name, d.external_id) > (${param(name)}, ${param(externalId)})`);
      }
      const rows = await db.query(
        `SELECT d.*,
                s.deal_id AS s_deal_id, s.score AS s_score, s.band AS s_band, s.components AS s_components, s.reasons AS s_reasons,
                s.suggested_action AS s_suggested_action, s.used_default_benchmarks AS s_used_default_benchmarks, s.scored_at AS s_scored_at,
                ARRAY(SELECT f.rule_id FROM ${t.findings} f
                      WHERE f.connection_id = d.connection_id AND f.deal_id = d.external_id AND f.status = 'open'
                      ORDER BY f.rule_id) AS open_rule_ids
         FROM ${t.deals} d
         LEFT JOIN ${t.scores} s ON s.connection_id = d.connection_id AND s.deal_id = d.external_id
         WHERE ${where.join(' AND ')}
         ORDER BY d.name, d.external_id
         LIMIT ${param(limit + 1)}`,
        params,
      );
      const items: DealListItem[] = rows.slice(0, limit).map((row) => ({
        deal: toDeal(row),
        score: row.s_deal_id === null ? null : scoreFromPrefixed(row),
        openRuleIds: row.open_rule_ids as string[],
      }));
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.deal) : null } satisfies PageOf<DealListItem>;
    },

    async loadOpen(connectionId, externalIds) {
      const rows = await db.query(
        `SELECT * FROM ${t.deals}
         WHERE connection_id = $1 AND NOT is_closed AND NOT is_deleted AND ($2::text[] IS NULL OR external_id = ANY($2::text[]))
         ORDER BY external_id`,
        [connectionId, externalIds === undefined ? null : [...externalIds]],
      );
      return rows.map(toDeal);
    },

    async loadClosedSince(connectionId, sinceDay) {
      const rows = await db.query(
        `SELECT * FROM ${t.deals}
         WHERE connection_id = $1 AND is_closed AND NOT is_deleted AND close_date >= $2::date
         ORDER BY external_id`,
        [connectionId, sinceDay],
      );
      return rows.map(toDeal);
    },

    async changedSince(connectionId, since) {
      const rows = await db.query<{ id: string }>(
        `SELECT external_id AS id FROM ${t.deals} WHERE connection_id = $1 AND updated_at >= $2 ORDER BY external_id`,
        [connectionId, since],
      );
      return rows.map((row) => row.id);
    },

    async count(connectionId) {
      const [row] = await db.query<{ open: number; closed: number; deleted: number }>(
        `SELECT count(*) FILTER (WHERE NOT is_deleted AND NOT is_closed)::int AS open,
                count(*) FILTER (WHERE NOT is_deleted AND is_closed)::int AS closed,
                count(*) FILTER (WHERE is_deleted)::int AS deleted
         FROM ${t.deals} WHERE connection_id = $1`,
        [connectionId],
      );
      return row ?? { open: 0, closed: 0, deleted: 0 };
    },
  };
}

function scoreFromPrefixed(row: Row): StoredScore {
  return toStoredScore({
    connection_id: row.connection_id,
    deal_id: row.s_deal_id,
    score: row.s_score,
    band: row.s_band,
    components: row.s_components,
    reasons: row.s_reasons,
    suggested_action: row.s_suggested_action,
    used_default_benchmarks: row.s_used_default_benchmarks,
    scored_at: row.s_scored_at,
  });
}
