-- One warning record per deal: the task or note a rep reads lists every open finding of the deal,
-- is updated in place as findings open or resolve, and is closed when none remain. The findings
-- ledger stays per finding (what is open, since when); this table is where the deal's record
-- stands in the CRM.
--   record_key:  the service's own lookup key, written where reps do not read it (a custom field
--                on the Task, a property on the HubSpot task or note). A closed record that was
--                written is never reopened: findings that open later start a new record (new key).
--   opened_at:   when this record's first finding opened; "resolved since" counts from it.
--   state:       what the CRM should show: 'open' while findings are open, else 'closed'.
--   changed_at:  the last findings change that made the record due (a write records its outcome
--                only when no newer change arrived meanwhile).
--   create_sent: a create was sent for this key and its id may be unknown (a crash, a lost answer):
--                the next write looks the key up in the CRM before creating anything.
CREATE TABLE __SCHEMA__.warning_records (
  connection_id  text NOT NULL,
  deal_id        text NOT NULL,
  record_key     text NOT NULL,
  opened_at      timestamptz NOT NULL,
  state          text NOT NULL CHECK (state IN ('open', 'closed')),
  changed_at     timestamptz NOT NULL,
  external_id    text,
  create_sent    boolean NOT NULL DEFAULT false,
  write_status   text NOT NULL CHECK (write_status IN ('planned', 'pending', 'written', 'failed')),
  write_error    text,
  write_attempts integer NOT NULL DEFAULT 0,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, deal_id),
  UNIQUE (connection_id, record_key)
);
CREATE INDEX warning_records_due ON __SCHEMA__.warning_records (connection_id, write_status) WHERE write_status <> 'written';

-- Deals with open findings get their record, due once.
INSERT INTO __SCHEMA__.warning_records (connection_id, deal_id, record_key, opened_at, state, changed_at, write_status)
SELECT connection_id, deal_id, 'dw-' || md5(connection_id || '/' || deal_id || '/' || min(first_seen_at)::text), min(first_seen_at), 'open', max(last_seen_at), 'planned'
FROM __SCHEMA__.findings WHERE status = 'open' GROUP BY connection_id, deal_id;
