-- The digest send ledger: one row per digest, schedule tick and channel once that channel's send
-- succeeded. A retried or re-delivered tick skips the channels recorded here, and the latest tick
-- is where the next digest's "what changed" starts.
CREATE TABLE __SCHEMA__.digest_sends (
  digest_id text NOT NULL,
  tick timestamptz NOT NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'slack')),
  connection_id text NOT NULL,
  sent_at timestamptz NOT NULL,
  PRIMARY KEY (digest_id, tick, channel)
);
