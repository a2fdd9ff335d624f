import type { Finding } from '../../domain/model/index.js';
import type { Db, Row, Tables } from '../db.js';
import type { FindingsLedger, LedgerEntry, WarningRecordEntry, WriteStatus } from '../types.js';

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

function toRecord(row: Row): WarningRecordEntry {
  return {
    connectionId: row.connection_id as string,
    dealId: row.deal_id as string,
    kind: (row.kind ?? 'warning') as WarningRecordEntry['kind'],
    recordKey: row.record_key as string,
    openedAt: row.opened_at as string,
    state: row.state as WarningRecordEntry['state'],
    changedAt: row.changed_at as string,
    externalId: row.external_id as string | null,
    createSent: row.create_sent as boolean,
    writeStatus: row.write_status as WriteStatus,
    writeError: row.write_error as string | null,
    writeAttempts: row.write_attempts as number,
  };
}

/** The rule whose findings ask someone other than the rep for something: its deals get an approval task too. */
const APPROVAL_RULE = 'discount_over_limit';

const FINDING_RECORD = 'deal_id text, rule_id text, severity text, message text, evidence jsonb, suggested_action text';

/** Each kind of per-deal record: its key prefix and the findings that keep it open. */
const RECORD_KINDS = {
  warning: { keyPrefix: 'dw-', openWhile: '' },
  approval: { keyPrefix: 'dwa-', openWhile: `AND f.rule_id = '${APPROVAL_RULE}'` },
} as const;

/**
 * Makes the `kind` record of each deal due: open while a finding that keeps it open is open, closed
 * when none is. A closed record that the CRM already shows closed is not reopened: the deal's new
 * findings start a new record, under a new key (a later discount asks again).
 */
async function planRecords(
  db: Db,
  t: Tables,
  connectionId: string,
  kind: keyof typeof RECORD_KINDS,
  dealIds: string[],
  at: string,
): Promise<void> {
  if (dealIds.length === 0) return;
  const { keyPrefix, openWhile } = RECORD_KINDS[kind];
  const fresh = `(w.state = 'closed' AND w.write_status = 'written' AND EXCLUDED.state = 'open')`;
  await db.query(
    `INSERT INTO ${t.warningRecords} AS w (connection_id, deal_id, kind, record_key, opened_at, state, changed_at, write_status)
     SELECT $1, d.deal_id, $4::text, '${keyPrefix}' || md5($1 || '/' || d.deal_id || '/' || $3::text), $3::timestamptz,
       CASE WHEN o.open THEN 'open' ELSE 'closed' END, $3::timestamptz, 'planned'
     FROM unnest($2::text[]) AS d(deal_id)
     CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM ${t.findings} f
       WHERE f.connection_id = $1 AND f.deal_id = d.deal_id AND f.status = 'open' ${openWhile}) AS open) o
     WHERE o.open OR EXISTS (SELECT 1 FROM ${t.warningRecords} x WHERE x.connection_id = $1 AND x.deal_id = d.deal_id AND x.kind = $4::text)
     ON CONFLICT (connection_id, deal_id, kind) DO UPDATE SET
       record_key = CASE WHEN ${fresh} THEN EXCLUDED.record_key ELSE w.record_key END,
       opened_at = CASE WHEN ${fresh} THEN EXCLUDED.opened_at ELSE w.opened_at END,
       external_id = CASE WHEN ${fresh} THEN NULL ELSE w.external_id END,
       create_sent = CASE WHEN ${fresh} THEN false ELSE w.create_sent END,
       state = EXCLUDED.state, changed_at = EXCLUDED.changed_at, write_status = 'planned',
       write_error = NULL, write_attempts = 0, updated_at = now()`,
    [connectionId, dealIds, at, kind],
  );
}

export function findingsLedger(db: Db, t: Tables): FindingsLedger {
  return {
    applyDiff(connectionId, diff, at) {
      return db.transaction(async (tx) => {
        if (diff.opened.length > 0) {
          const rows = diff.opened.map(({ finding, annotationKey }) => ({
            ...findingRow(finding, connectionId),
            annotation_key: annotationKey,
          }));
          // A resolved row reopens in place with its new key; an open one is left alone, so a retried
          // pass never replaces the key of a warning that may already be written.
          await tx.query(
            `INSERT INTO ${t.findings} AS f (connection_id, deal_id, rule_id, status, severity, message, evidence, suggested_action,
                first_seen_at, last_seen_at, annotation_key, write_status)
             SELECT $1, r.deal_id, r.rule_id, 'open', r.severity, r.message, r.evidence, r.suggested_action,
               $3, $3, r.annotation_key, 'planned'
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
        // Each touched deal's warning record becomes due; so does the approval task of a deal whose
        // discount finding opened or resolved.
        const touched = [...new Set([...diff.opened.map((o) => o.finding.dealId), ...diff.resolved.map((r) => r.dealId)])];
        const discount = [
          ...new Set(
            [...diff.opened.map((o) => o.finding), ...diff.resolved].filter((f) => f.ruleId === APPROVAL_RULE).map((f) => f.dealId),
          ),
        ];
        await planRecords(tx, t, connectionId, 'warning', touched, at);
        await planRecords(tx, t, connectionId, 'approval', discount, at);
      });
    },

    async forDeals(connectionId, dealIds) {
      if (dealIds.length === 0) return [];
      const rows = await db.query(
        `SELECT * FROM ${t.findings} WHERE connection_id = $1 AND deal_id = ANY($2::text[]) ORDER BY deal_id, first_seen_at, rule_id`,
        [connectionId, [...dealIds]],
      );
      return rows.map(toEntry);
    },

    async markCarried(connectionId, records) {
      if (records.length === 0) return;
      await db.query(
        `UPDATE ${t.findings} f SET write_status = 'written', external_id = r.external_id, write_error = NULL,
           write_attempts = f.write_attempts + 1, updated_at = now()
         FROM jsonb_to_recordset($2::jsonb) AS r(deal_id text, external_id text)
         WHERE f.connection_id = $1 AND f.deal_id = r.deal_id AND f.status = 'open'`,
        [connectionId, JSON.stringify(records.map((r) => ({ deal_id: r.dealId, external_id: r.externalId })))],
      );
    },

    async warningRecord(connectionId, dealId, kind = 'warning') {
      const [row] = await db.query(`SELECT * FROM ${t.warningRecords} WHERE connection_id = $1 AND deal_id = $2 AND kind = $3`, [
        connectionId,
        dealId,
        kind,
      ]);
      return row ? toRecord(row) : null;
    },

    async warningRecords(connectionId, options = {}) {
      const rows = await db.query(`SELECT * FROM ${t.warningRecords} WHERE connection_id = $1 ORDER BY deal_id, kind DESC LIMIT $2`, [
        connectionId,
        options.limit ?? 10_000,
      ]);
      return rows.map(toRecord);
    },

    async recordsDue(connectionId, options = {}) {
      const rows = await db.query(
        `SELECT * FROM ${t.warningRecords} WHERE connection_id = $1 AND write_status = ANY($2::text[]) ` +
          'ORDER BY changed_at, deal_id LIMIT $3',
        [connectionId, [...(options.statuses ?? UNWRITTEN)], options.limit ?? 1000],
      );
      return rows.map(toRecord);
    },

    async setRecordStatus(connectionId, updates) {
      if (updates.length === 0) return;
      const rows = updates.map((u) => ({
        deal_id: u.dealId,
        record_key: u.recordKey,
        write_status: u.status,
        changed_at: u.changedAt ?? null,
        external_id: u.externalId ?? null,
        keep_external_id: u.externalId === undefined,
        create_sent: u.createSent ?? null,
        write_error: u.error ?? null,
      }));
      // A write that answers an older change leaves the record due (with what it learned: its id).
      await db.query(
        `UPDATE ${t.warningRecords} w SET
           external_id = CASE WHEN r.keep_external_id THEN w.external_id ELSE r.external_id END,
           create_sent = COALESCE(r.create_sent, w.create_sent),
           write_status = CASE WHEN r.write_status = 'written' AND r.changed_at IS NOT NULL AND w.changed_at <> r.changed_at
             THEN 'planned' ELSE r.write_status END,
           write_error = r.write_error,
           write_attempts = w.write_attempts + CASE WHEN r.write_status IN ('written', 'failed') THEN 1 ELSE 0 END,
           updated_at = now()
         FROM jsonb_to_recordset($2::jsonb) AS r(deal_id text, record_key text, write_status text, changed_at timestamptz, external_id text,
           keep_external_id boolean, create_sent boolean, write_error text)
         WHERE w.connection_id = $1 AND w.deal_id = r.deal_id AND w.record_key = r.record_key`,
        [connectionId, JSON.stringify(rows)],
      );
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
         WHERE connection_id = $1 AND ($2::text IS NULL OR status = $2)
           AND ($3::text IS NULL OR rule_id = $3) AND ($4::text IS NULL OR deal_id = $4)
         ORDER BY last_seen_at DESC, deal_id, rule_id LIMIT $5`,
        [connectionId, filter.status ?? null, filter.ruleId ?? null, filter.dealId ?? null, filter.limit ?? 1000],
      );
      return rows.map(toEntry);
    },

    async getByKey(connectionId, annotationKey) {
      const [row] = await db.query(`SELECT * FROM ${t.findings} WHERE connection_id = $1 AND annotation_key = $2`, [
        connectionId,
        annotationKey,
      ]);
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
         FROM jsonb_to_recordset($2::jsonb)
           AS r(annotation_key text, write_status text, external_id text, keep_external_id boolean, write_error text)
         WHERE f.connection_id = $1 AND f.annotation_key = r.annotation_key`,
        [connectionId, JSON.stringify(rows)],
      );
    },
  };
}
