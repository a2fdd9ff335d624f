import type { Finding } from '../../domain/model/index.js';
import type { Db, Row, Tables } from '../db.js';
import type { FindingsLedger, LedgerEntry, WriteStatus } from '../types.js';

const UNWRITTEN: readonly WriteStatus[] = ['planned', 'pending', 'failed'];

function toEntry(row: Row): LedgerEntry {
  return {
    connectionId: row.connection_id as string,
    dealId: row.deal_id as string,
    ruleId: row.rule_id as string,
    severity: row.severity as LedgerEntry['severity'],
    message: row.message as string,
    evidence: row.evidence as Record<string, unknown>,
    suggestedAction: row.suggested_action as string,
    status: row.status as LedgerEntry['status'],
    firstSeenAt: row.first_seen_at as string,
    lastSeenAt: row.last_seen_at as string,
    resolvedAt: row.resolved_at as string | null,
    annotationKey: row.annotation_key as string,
    externalId: row.external_id as string | null,
    writeStatus: row.write_status as WriteStatus,
    writeError: row.write_error as string | null,
    writeAttempts: row.write_attempts as number,
  };
}

function findingRow(finding: Finding, connectionId: string) {
  if (finding.connectionId !== connectionId) throw new Error(`finding of connection ${finding.connectionId} written to ${connectionId}`);
  return {
    deal_id: finding.dealId,
    rule_id: finding.ruleId,
    severity: finding.severity,
    message: finding.message,
    evidence: finding.evidence,
    suggested_action: finding.suggestedAction,
  };
}

const FINDING_RECORD = 'deal_id text, rule_id text, severity text, message text, evidence jsonb, suggested_action text';

export function findingsLedger(db: Db, t: Tables): FindingsLedger {
  return {
    applyDiff(connectionId, diff, at) {
      return db.transaction(async (tx) => {
        if (diff.opened.length > 0) {
          const rows = diff.opened.map(({ finding, annotationKey }) => ({ ...findingRow(finding, connectionId), annotation_key: annotationKey }));
          // A resolved row reopens in place with its new key; an open one is left alone, so a retried
          // pass never replaces the key of a warning that may already be written.
          await tx.query(
            `INSERT INTO ${t.findings} AS f (connection_id, deal_id, rule_id, status, severity, message, evidence, suggested_action,
                first_seen_at, last_seen_at, annotation_key, write_status)
             SELECT $1, r.deal_id, r.rule_id, 'open', r.severity, r.message, r.evidence, r.suggested_action, $3, $3, r.annotation_key, 'planned'
             FROM jsonb_to_recordset($2::jsonb) AS r(${FINDING_RECORD}, annotation_key text)
             ON CONFLICT (connection_id, deal_id, rule_id) DO UPDATE SET
               status = 'open', severity = EXCLUDED.severity, message = EXCLUDED.message, evidence = EXCLUDED.evidence,
               suggested_action = EXCLUDED.suggested_action, first_seen_at = EXCLUDED.first_seen_at, last_seen_at = EXCLUDED.last_seen_at,
               resolved_at = NULL, annotation_key = EXCLUDED.annotation_key, external_id = NULL, write_status = 'planned',
               write_error = NULL, write_attempts = 0, updated_at = now()
             WHERE f.status = 'resolved'`,
            [connectionId, JSON.stringify(rows), at],
          );
        }
        if (diff.stillOpen.length > 0) {
          await tx.query(
            `UPDATE ${t.findings} f SET last_seen_at = $3, severity = r.severity, message = r.message, evidence = r.evidence,
               suggested_action = r.suggested_action, updated_at = now()
             FROM jsonb_to_recordset($2::jsonb) AS r(${FINDING_RECORD})
             WHERE f.connection_id = $1 AND f.deal_id = r.deal_id AND f.rule_id = r.rule_id AND f.status = 'open'`,
            [connectionId, JSON.stringify(diff.stillOpen.map((finding) => findingRow(finding, connectionId))), at],
          );
        }
        if (diff.resolved.length > 0) {
          await tx.query(
            `UPDATE ${t.findings} f SET status = 'resolved', resolved_at = $3, updated_at = now()
             FROM jsonb_to_recordset($2::jsonb) AS r(deal_id text, rule_id text)
             WHERE f.connection_id = $1 AND f.deal_id = r.deal_id AND f.rule_id = r.rule_id AND f.status = 'open'`,
            [connectionId, JSON.stringify(diff.resolved.map(({ dealId, ruleId }) => ({ deal_id: dealId, rule_id: ruleId }))), at],
          );
        }
      });
    },

    async openForDeals(connectionId, dealIds) {
      const rows = await db.query(
        `SELECT * FROM ${t.findings} WHERE connection_id = $1 AND status = 'open' AND ($2::text[] IS NULL OR deal_id = ANY($2::text[]))
         ORDER BY deal_id, rule_id`,
        [connectionId, dealIds === undefined ? null : [...dealIds]],
      );
      return rows.map(toEntry);
    },

    async list(connectionId, filter = {}) {
      const rows = await db.query(
        `SELECT * FROM ${t.findings}
         WHERE connection_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR rule_id = $3) AND ($4::text IS NULL OR deal_id = $4)
         ORDER BY last_seen_at DESC, deal_id, rule_id LIMIT $5`,
        [connectionId, filter.status ?? null, filter.ruleId ?? null, filter.dealId ?? null, filter.limit ?? 1000],
      );
      return rows.map(toEntry);
    },

    async getByKey(connectionId, annotationKey) {
      const [row] = await db.query(`SELECT * FROM ${t.findings} WHERE connection_id = $1 AND annotation_key = $2`, [connectionId, annotationKey]);
      return row ? toEntry(row) : null;
    },

    async unwritten(connectionId, options = {}) {
      const rows = await db.query(
        `SELECT * FROM ${t.findings} WHERE connection_id = $1 AND status = 'open' AND write_status = ANY($2::text[])
         ORDER BY first_seen_at, deal_id, rule_id LIMIT $3`,
        [connectionId, [...(options.statuses ?? UNWRITTEN)], options.limit ?? 1000],
      );
      return rows.map(toEntry);
    },

    async setWriteStatus(connectionId, updates) {
      if (updates.length === 0) return;
      const rows = updates.map((update) => ({
        annotation_key: update.annotationKey,
        write_status: update.status,
        external_id: update.externalId ?? null,
        keep_external_id: update.externalId === undefined,
        write_error: update.error ?? null,
      }));
      await db.query(
        `UPDATE ${t.findings} f SET write_status = r.write_status,
           external_id = CASE WHEN r.keep_external_id THEN f.external_id ELSE r.external_id END,
           write_error = r.write_error,
           write_attempts = f.write_attempts + CASE WHEN r.write_status IN ('written', 'failed') THEN 1 ELSE 0 END,
           updated_at = now()
         FROM jsonb_to_recordset($2::jsonb) AS r(annotation_key text, write_status text, external_id text, keep_external_id boolean, write_error text)
         WHERE f.connection_id = $1 AND f.annotation_key = r.annotation_key`,
        [connectionId, JSON.stringify(rows)],
      );
    },
  };
}
