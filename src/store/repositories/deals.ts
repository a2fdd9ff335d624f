import type { Deal } from '../../domain/model/index.js';
import { assertConnection, lastPerKey, pageUpsertSql, upsertResult, type Column, type Db, type Row, type Tables } from '../db.js';
import { contentHash } from '../hash.js';
import type { DealListFilter, DealListItem, DealListQuery, DealRepository, DealSort, PageOf, StoredScore } from '../types.js';
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

/**
 * Sort keys as SQL: a null amount, close date or score sorts as if below (amount, score) or after
 * (close date) every real one, so the keyset comparison never meets a null.
 */
const SORT_SQL: Record<DealSort, { expr: string; cast: string }> = {
  name: { expr: 'd.name', cast: 'text' },
  amount: { expr: "COALESCE(d.amount, '-1e30'::numeric)", cast: 'numeric' },
  closeDate: { expr: "COALESCE(d.close_date, '9999-12-31'::date)", cast: 'date' },
  score: { expr: 'COALESCE(s.score, -1)', cast: 'integer' },
};

/** Keyset position: the sort key (as text) and external id of the last row of a page. */
function encodeCursor(sortValue: string, externalId: string): string {
  return Buffer.from(JSON.stringify([sortValue, externalId])).toString('base64url');
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

/** WHERE clauses of the list filters, pushing their values onto `params`. */
function filterSql(t: Tables, filter: DealListFilter, params: unknown[]): string[] {
  const param = (value: unknown) => `$${params.push(value)}`;
  const where = ['d.connection_id = $1'];
  if (!filter.includeDeleted) where.push('NOT d.is_deleted');
  const state = filter.state ?? 'open';
  if (state !== 'all') where.push(state === 'open' ? 'NOT d.is_closed' : 'd.is_closed');
  if (filter.ownerId !== undefined) where.push(`d.owner_id = ${param(filter.ownerId)}`);
  if (filter.ownerIds !== undefined) where.push(`d.owner_id = ANY(${param([...filter.ownerIds])}::text[])`);
  if (filter.externalIds !== undefined) where.push(`d.external_id = ANY(${param([...filter.externalIds])}::text[])`);
  if (filter.stageId !== undefined) where.push(`d.stage_id = ${param(filter.stageId)}`);
  if (filter.pipeline !== undefined) where.push(`d.pipeline = ${param(filter.pipeline)}`);
  if (filter.closeFrom !== undefined) where.push(`d.close_date >= ${param(filter.closeFrom)}::date`);
  if (filter.closeTo !== undefined) where.push(`d.close_date <= ${param(filter.closeTo)}::date`);
  if (filter.keyAccount !== undefined) where.push(filter.keyAccount ? 'd.account_is_target IS TRUE' : 'd.account_is_target IS NOT TRUE');
  if (filter.band !== undefined) where.push(`s.band = ${param(filter.band)}`);
  if (filter.ruleId !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM ${t.findings} f WHERE f.connection_id = d.connection_id AND f.deal_id = d.external_id ` +
        `AND f.status = 'open' AND f.rule_id = ${param(filter.ruleId)})`,
    );
  }
  return where;
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

    async getMany(connectionId, externalIds) {
      if (externalIds.length === 0) return [];
      const rows = await db.query(
        `SELECT * FROM ${t.deals} WHERE connection_id = $1 AND external_id = ANY($2::text[]) ORDER BY external_id`,
        [connectionId, [...externalIds]],
      );
      return rows.map(toDeal);
    },

    async list(connectionId, query: DealListQuery = {}) {
      const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
      const params: unknown[] = [connectionId];
      const param = (value: unknown) => `$${params.push(value)}`;
      const where = filterSql(t, query, params);
      const sort = SORT_SQL[query.sort ?? 'name'];
      const direction = query.direction === 'desc' ? 'DESC' : 'ASC';
      if (query.cursor) {
        const [value, externalId] = decodeCursor(query.cursor);
        const after = direction === 'DESC' ? '<' : '>';
        where.push(`(${sort.expr}, d.external_id) ${after} (${param(value)}::${sort.cast}, ${param(externalId)})`);
      }
      const rows = await db.query(
        `SELECT d.*, (${sort.expr})::text AS sort_value,
                s.deal_id AS s_deal_id, s.score AS s_score, s.band AS s_band, s.components AS s_components, s.reasons AS s_reasons,
                s.suggested_action AS s_suggested_action,
                s.used_default_benchmarks AS s_used_default_benchmarks, s.scored_at AS s_scored_at,
                ARRAY(SELECT f.rule_id FROM ${t.findings} f
                      WHERE f.connection_id = d.connection_id AND f.deal_id = d.external_id AND f.status = 'open'
                      ORDER BY f.rule_id) AS open_rule_ids
         FROM ${t.deals} d
         LEFT JOIN ${t.scores} s ON s.connection_id = d.connection_id AND s.deal_id = d.external_id
         WHERE ${where.join(' AND ')}
         ORDER BY ${sort.expr} ${direction}, d.external_id ${direction}
         LIMIT ${param(limit + 1)}`,
        params,
      );
      const items: DealListItem[] = rows.slice(0, limit).map((row) => ({
        deal: toDeal(row),
        score: row.s_deal_id === null ? null : scoreFromPrefixed(row),
        openRuleIds: row.open_rule_ids as string[],
      }));
      const last = rows[limit - 1];
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeCursor(last.sort_value as string, last.external_id as string) : null,
      } satisfies PageOf<DealListItem>;
    },

    async countMatching(connectionId, filter: DealListFilter = {}) {
      const params: unknown[] = [connectionId];
      const where = filterSql(t, filter, params);
      const [row] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${t.deals} d
         LEFT JOIN ${t.scores} s ON s.connection_id = d.connection_id AND s.deal_id = d.external_id
         WHERE ${where.join(' AND ')}`,
        params,
      );
      return row?.n ?? 0;
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

    async loadClosedSince(connectionId, sinceDay, externalIds) {
      // Two statements, not `($3 IS NULL OR ...)`: a prepared plan for both cases cannot use the key
      // index, and the webhook fast path asks for a few ids many times a second.
      const scoped = externalIds !== undefined;
      const rows = await db.query(
        `SELECT * FROM ${t.deals}
         WHERE connection_id = $1 AND is_closed AND NOT is_deleted AND close_date >= $2::date
           ${scoped ? 'AND external_id = ANY($3::text[])' : ''}
         ORDER BY external_id`,
        scoped ? [connectionId, sinceDay, [...externalIds]] : [connectionId, sinceDay],
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
