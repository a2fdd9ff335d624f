import type { Connection, ConnectionSettings } from '../../domain/model/index.js';
import type { Db, Row, Tables } from '../db.js';
import { effectiveTimeZone } from '../../domain/time.js';
import { contentHash } from '../hash.js';
import type { ConnectionRepository, ConnectionState, ConnectionStateRepository } from '../types.js';

function toConnection(row: Row): Connection {
  return {
    id: row.id as string,
    provider: row.provider as Connection['provider'],
    name: row.name as string,
    timezone: row.timezone as string,
    reportingCurrency: row.reporting_currency as string,
  };
}

/** The secret-free part of a connection's settings. */
function withoutSecrets(settings: ConnectionSettings): Connection {
  return {
    id: settings.id,
    provider: settings.provider,
    name: settings.name ?? settings.id,
    timezone: effectiveTimeZone(settings),
    reportingCurrency: settings.reportingCurrency,
  };
}

export function connectionRepository(db: Db, t: Tables): ConnectionRepository {
  return {
    async upsertFromConfig(settings) {
      const rows = settings.map(withoutSecrets).map((connection) => ({
        id: connection.id,
        provider: connection.provider,
        name: connection.name,
        timezone: connection.timezone,
        reporting_currency: connection.reportingCurrency,
        content_hash: contentHash(connection),
      }));
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO ${t.connections} AS t (id, provider, name, timezone, reporting_currency, content_hash, configured)
           SELECT r.id, r.provider, r.name, r.timezone, r.reporting_currency, r.content_hash, true
           FROM jsonb_to_recordset($1::jsonb)
             AS r(id text, provider text, name text, timezone text, reporting_currency text, content_hash text)
           ON CONFLICT (id) DO UPDATE SET provider = EXCLUDED.provider, name = EXCLUDED.name, timezone = EXCLUDED.timezone,
             reporting_currency = EXCLUDED.reporting_currency, content_hash = EXCLUDED.content_hash, configured = true, updated_at = now()
           WHERE t.content_hash <> EXCLUDED.content_hash OR NOT t.configured`,
          [JSON.stringify(rows)],
        );
        await tx.query(
          `UPDATE ${t.connections} SET configured = false, updated_at = now() WHERE configured AND NOT (id = ANY($1::text[]))`,
          [rows.map((row) => row.id)],
        );
      });
    },

    async list() {
      return (await db.query(`SELECT * FROM ${t.connections} WHERE configured ORDER BY id`)).map(toConnection);
    },

    async get(connectionId) {
      const [row] = await db.query(`SELECT * FROM ${t.connections} WHERE id = $1`, [connectionId]);
      return row ? toConnection(row) : null;
    },
  };
}

export function connectionStateRepository(db: Db, t: Tables): ConnectionStateRepository {
  return {
    async get(connectionId) {
      const [row] = await db.query(`SELECT * FROM ${t.connectionState} WHERE connection_id = $1`, [connectionId]);
      return {
        connectionId,
        pausedReason: (row?.paused_reason as string | null | undefined) ?? null,
        pausedAt: (row?.paused_at as string | null | undefined) ?? null,
        consecutiveFailures: (row?.consecutive_failures as number | undefined) ?? 0,
        lastSuccessAt: (row?.last_success_at as string | null | undefined) ?? null,
        lastFailureAt: (row?.last_failure_at as string | null | undefined) ?? null,
      } satisfies ConnectionState;
    },

    async pause(connectionId, reason, at) {
      await db.query(
        `INSERT INTO ${t.connectionState} (connection_id, paused_reason, paused_at) VALUES ($1, $2, $3)
         ON CONFLICT (connection_id) DO UPDATE SET paused_reason = EXCLUDED.paused_reason, paused_at = EXCLUDED.paused_at`,
        [connectionId, reason, at],
      );
    },

    async resume(connectionId) {
      await db.query(
        `UPDATE ${t.connectionState} SET paused_reason = NULL, paused_at = NULL, consecutive_failures = 0 WHERE connection_id = $1`,
        [connectionId],
      );
    },

    async recordFailure(connectionId, at) {
      const [row] = await db.query<{ failures: number }>(
        `INSERT INTO ${t.connectionState} AS s (connection_id, consecutive_failures, last_failure_at) VALUES ($1, 1, $2)
         ON CONFLICT (connection_id) DO UPDATE SET
           consecutive_failures = s.consecutive_failures + 1, last_failure_at = EXCLUDED.last_failure_at
         RETURNING s.consecutive_failures AS failures`,
        [connectionId, at],
      );
      return row?.failures ?? 1;
    },

    async recordSuccess(connectionId, at) {
      await db.query(
        `INSERT INTO ${t.connectionState} (connection_id, consecutive_failures, last_success_at) VALUES ($1, 0, $2)
         ON CONFLICT (connection_id) DO UPDATE SET consecutive_failures = 0, last_success_at = EXCLUDED.last_success_at`,
        [connectionId, at],
      );
    },
  };
}
