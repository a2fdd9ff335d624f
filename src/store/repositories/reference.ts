import type { Owner, Stage } from '../../domain/model/index.js';
import { assertConnection, lastPerKey, pageUpsertSql, upsertResult, type Column, type Db, type Row, type Tables } from '../db.js';
import { contentHash } from '../hash.js';
import type { OwnerRepository, StageRepository } from '../types.js';

const OWNER_COLUMNS: readonly Column[] = [
  { name: 'external_id', type: 'text' },
  { name: 'name', type: 'text' },
  { name: 'email', type: 'text' },
  { name: 'team', type: 'text' },
  { name: 'active', type: 'boolean' },
  { name: 'manager_id', type: 'text' },
  { name: 'content_hash', type: 'text' },
];

const STAGE_COLUMNS: readonly Column[] = [
  { name: 'pipeline', type: 'text' },
  { name: 'id', type: 'text' },
  { name: 'label', type: 'text' },
  { name: 'sort_order', type: 'integer' },
  { name: 'probability', type: 'double precision' },
  { name: 'is_closed', type: 'boolean' },
  { name: 'is_won', type: 'boolean' },
  { name: 'content_hash', type: 'text' },
];

function toOwner(row: Row): Owner {
  return {
    connectionId: row.connection_id as string,
    externalId: row.external_id as string,
    name: row.name as string,
    email: row.email as string | null,
    team: row.team as string | null,
    active: row.active as boolean,
    managerId: (row.manager_id as string | null) ?? null,
  };
}

function toStage(row: Row): Stage {
  return {
    connectionId: row.connection_id as string,
    pipeline: row.pipeline as string,
    id: row.id as string,
    label: row.label as string,
    order: row.sort_order as number,
    probability: row.probability as number,
    isClosed: row.is_closed as boolean,
    isWon: row.is_won as boolean,
  };
}

export function ownerRepository(db: Db, t: Tables): OwnerRepository {
  return {
    async upsertMany(connectionId, owners) {
      if (owners.length === 0) return upsertResult(0, []);
      assertConnection(connectionId, owners);
      const rows = lastPerKey(owners, (owner) => owner.externalId).map((owner) => ({
        external_id: owner.externalId,
        name: owner.name,
        email: owner.email,
        team: owner.team,
        active: owner.active,
        manager_id: owner.managerId ?? null,
        content_hash: contentHash({ ...owner, connectionId: undefined }),
      }));
      const written = await db.query<{ id: string; inserted: boolean }>(
        pageUpsertSql({
          table: t.owners,
          key: ['external_id'],
          columns: OWNER_COLUMNS,
          onUpdate: ['updated_at = now()'],
          returning: 't.external_id AS id',
        }),
        [connectionId, JSON.stringify(rows)],
      );
      return upsertResult(rows.length, written);
    },

    async list(connectionId) {
      return (await db.query(`SELECT * FROM ${t.owners} WHERE connection_id = $1 ORDER BY name, external_id`, [connectionId])).map(toOwner);
    },
  };
}

export function stageRepository(db: Db, t: Tables): StageRepository {
  return {
    replace(connectionId, stages) {
      assertConnection(connectionId, stages);
      const rows = lastPerKey(stages, (stage) => `${stage.pipeline}\u0000${stage.id}`).map((stage) => ({
        pipeline: stage.pipeline,
        id: stage.id,
        label: stage.label,
        sort_order: stage.order,
        probability: stage.probability,
        is_closed: stage.isClosed,
        is_won: stage.isWon,
        content_hash: contentHash({ ...stage, connectionId: undefined }),
      }));
      return db.transaction(async (tx) => {
        await tx.query(
          `DELETE FROM ${t.stages} s WHERE s.connection_id = $1
           AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset($2::jsonb) AS r(pipeline text, id text)
             WHERE r.pipeline = s.pipeline AND r.id = s.id)`,
          [connectionId, JSON.stringify(rows)],
        );
        if (rows.length > 0) {
          await tx.query(
            pageUpsertSql({
              table: t.stages,
              key: ['pipeline', 'id'],
              columns: STAGE_COLUMNS,
              onUpdate: ['updated_at = now()'],
              returning: 't.id',
            }),
            [connectionId, JSON.stringify(rows)],
          );
        }
      });
    },

    async list(connectionId) {
      return (await db.query(`SELECT * FROM ${t.stages} WHERE connection_id = $1 ORDER BY pipeline, sort_order, id`, [connectionId])).map(
        toStage,
      );
    },
  };
}
