import type { DigestChannel } from '../../domain/model/index.js';
import type { Db, Tables } from '../db.js';
import type { DigestSendLedger } from '../types.js';

export function digestSendLedger(db: Db, t: Tables): DigestSendLedger {
  return {
    async sentChannels(digestId, tick) {
      const rows = await db.query(`SELECT channel FROM ${t.digestSends} WHERE digest_id = $1 AND tick = $2 ORDER BY channel`, [
        digestId,
        tick,
      ]);
      return rows.map((row) => row.channel as DigestChannel);
    },
    async recordSent(send) {
      await db.query(
        `INSERT INTO ${t.digestSends} (digest_id, tick, channel, connection_id, sent_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (digest_id, tick, channel) DO NOTHING`,
        [send.digestId, send.tick, send.channel, send.connectionId, send.sentAt],
      );
    },
    async lastSentTick(digestId, before) {
      const [row] = await db.query(`SELECT max(tick) AS tick FROM ${t.digestSends} WHERE digest_id = $1 AND tick < $2`, [digestId, before]);
      return (row?.tick as string | null | undefined) ?? null;
    },
  };
}
