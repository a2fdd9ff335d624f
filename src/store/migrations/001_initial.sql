-- dealwatch schema, version 1. "__SCHEMA__" is replaced by the store's schema name; every table is
-- schema-qualified because embedded PGlite shares one session (no per-connection search_path).
-- Every table of synced data is keyed by connection_id first: no query reads across connections.
-- content_hash: hash of the canonical record; an upsert with an unchanged hash writes nothing.
-- updated_at: when the row's content last changed (not when it was last re-sent).

CREATE TABLE __SCHEMA__.connections (
  id                 text PRIMARY KEY,
  provider           text NOT NULL CHECK (provider IN ('salesforce', 'hubspot')),
  name               text NOT NULL,
  timezone           text NOT NULL,
  reporting_currency text NOT NULL,
  configured         boolean NOT NULL DEFAULT true,
  content_hash       text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE __SCHEMA__.connection_state (
  connection_id        text PRIMARY KEY,
  paused_reason        text,
  paused_at            timestamptz,
  consecutive_failures integer NOT NULL DEFAULT 0,
  last_success_at      timestamptz,
  last_failure_at      timestamptz
);

CREATE TABLE __SCHEMA__.owners (
  connection_id text NOT NULL,
  external_id   text NOT NULL,
  name          text NOT NULL,
  email         text,
  team          text,
  active        boolean NOT NULL,
  content_hash  text NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, external_id)
);

CREATE TABLE __SCHEMA__.stages (
  connection_id text NOT NULL,
  pipeline      text NOT NULL,
  id            text NOT NULL,
  label         text NOT NULL,
  sort_order    integer NOT NULL,
  probability   double precision NOT NULL,
  is_closed     boolean NOT NULL,
  is_won        boolean NOT NULL,
  content_hash  text NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, pipeline, id)
);

CREATE TABLE __SCHEMA__.deals (
  connection_id     text NOT NULL,
  external_id       text NOT NULL,
  name              text NOT NULL,
  owner_id          text,
  account_id        text,
  account_name      text,
  lead_source       text,
  pipeline          text NOT NULL,
  stage_id          text NOT NULL,
  amount            numeric,
  currency          text,
  close_date        date,
  created_at        timestamptz NOT NULL,
  modified_at       timestamptz NOT NULL,
  probability       double precision,
  forecast_category text,
  next_step         text,
  is_closed         boolean NOT NULL,
  is_won            boolean NOT NULL,
  stage_entered_at  timestamptz,
  discount_percent  double precision,
  contact_count     integer,
  lost_reason       text,
  is_deleted        boolean NOT NULL DEFAULT false,
  deleted_at        timestamptz,
  content_hash      text NOT NULL,
  first_synced_at   timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, external_id)
);
CREATE INDEX deals_by_name ON __SCHEMA__.deals (connection_id, name, external_id);
CREATE INDEX deals_by_updated ON __SCHEMA__.deals (connection_id, updated_at);
CREATE INDEX deals_open ON __SCHEMA__.deals (connection_id, external_id) WHERE NOT is_closed AND NOT is_deleted;

CREATE TABLE __SCHEMA__.activities (
  connection_id text NOT NULL,
  external_id   text NOT NULL,
  type          text NOT NULL,
  direction     text NOT NULL,
  occurred_at   timestamptz NOT NULL,
  owner_id      text,
  deal_ids      text[] NOT NULL,
  completed     boolean NOT NULL,
  subject       text,
  origin        text NOT NULL,
  modified_at   timestamptz NOT NULL,
  is_deleted    boolean NOT NULL DEFAULT false,
  deleted_at    timestamptz,
  content_hash  text NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, external_id)
);
CREATE INDEX activities_by_updated ON __SCHEMA__.activities (connection_id, updated_at);

-- Derived from activities.deal_ids, for indexed lookups by deal.
CREATE TABLE __SCHEMA__.activity_deals (
  connection_id text NOT NULL,
  deal_id       text NOT NULL,
  activity_id   text NOT NULL,
  PRIMARY KEY (connection_id, deal_id, activity_id)
);
CREATE INDEX activity_deals_by_activity ON __SCHEMA__.activity_deals (connection_id, activity_id);

CREATE TABLE __SCHEMA__.stage_changes (
  connection_id text NOT NULL,
  deal_id       text NOT NULL,
  at            timestamptz NOT NULL,
  to_stage_id   text NOT NULL,
  from_stage_id text,
  amount        numeric,
  close_date    date,
  content_hash  text NOT NULL,
  PRIMARY KEY (connection_id, deal_id, at, to_stage_id)
);

CREATE TABLE __SCHEMA__.field_changes (
  connection_id text NOT NULL,
  deal_id       text NOT NULL,
  field         text NOT NULL,
  at            timestamptz NOT NULL,
  old_value     text,
  new_value     text,
  content_hash  text NOT NULL,
  PRIMARY KEY (connection_id, deal_id, field, at)
);

CREATE TABLE __SCHEMA__.deal_snapshots (
  connection_id     text NOT NULL,
  day               date NOT NULL,
  deal_id           text NOT NULL,
  owner_id          text,
  pipeline          text NOT NULL,
  stage_id          text NOT NULL,
  amount            numeric,
  currency          text,
  close_date        date,
  probability       double precision,
  forecast_category text,
  is_closed         boolean NOT NULL,
  is_won            boolean NOT NULL,
  PRIMARY KEY (connection_id, day, deal_id)
);

CREATE TABLE __SCHEMA__.sync_cursors (
  connection_id text NOT NULL,
  stream        text NOT NULL,
  -- Kept as the connector wrote it: cursors round-trip byte for byte.
  stamp         text NOT NULL,
  record_id     text NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, stream)
);

CREATE TABLE __SCHEMA__.sync_runs (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  connection_id text NOT NULL,
  mode          text NOT NULL,
  trigger       text NOT NULL,
  status        text NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz,
  counts        jsonb NOT NULL DEFAULT '{}',
  api_usage     jsonb,
  error         text
);
CREATE INDEX sync_runs_latest ON __SCHEMA__.sync_runs (connection_id, id DESC);

CREATE TABLE __SCHEMA__.deal_scores (
  connection_id           text NOT NULL,
  deal_id                 text NOT NULL,
  score                   integer NOT NULL,
  band                    text NOT NULL,
  components              jsonb NOT NULL,
  reasons                 jsonb NOT NULL,
  suggested_action        text,
  used_default_benchmarks boolean NOT NULL,
  content_hash            text NOT NULL,
  scored_at               timestamptz NOT NULL,
  PRIMARY KEY (connection_id, deal_id)
);
CREATE INDEX deal_scores_by_band ON __SCHEMA__.deal_scores (connection_id, band);

-- The findings ledger: one row per connection + deal + rule, reopened in place.
CREATE TABLE __SCHEMA__.findings (
  connection_id    text NOT NULL,
  deal_id          text NOT NULL,
  rule_id          text NOT NULL,
  status           text NOT NULL CHECK (status IN ('open', 'resolved')),
  severity         text NOT NULL,
  message          text NOT NULL,
  evidence         jsonb NOT NULL,
  suggested_action text NOT NULL,
  first_seen_at    timestamptz NOT NULL,
  last_seen_at     timestamptz NOT NULL,
  resolved_at      timestamptz,
  annotation_key   text NOT NULL,
  external_id      text,
  write_status     text NOT NULL CHECK (write_status IN ('planned', 'pending', 'written', 'failed')),
  write_error      text,
  write_attempts   integer NOT NULL DEFAULT 0,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, deal_id, rule_id),
  UNIQUE (connection_id, annotation_key)
);
CREATE INDEX findings_open_by_rule ON __SCHEMA__.findings (connection_id, rule_id) WHERE status = 'open';
CREATE INDEX findings_unwritten ON __SCHEMA__.findings (connection_id, write_status) WHERE status = 'open' AND write_status <> 'written';
