-- The install's identity, made once with the schema: a second install (another database on the
-- same Redis) or a fresh embedded database gets a new one, so its queue keys and job ids cannot
-- meet those Redis still keeps for another. One row.
CREATE TABLE __SCHEMA__.install (
  id text PRIMARY KEY DEFAULT substr(replace(gen_random_uuid()::text, '-', ''), 1, 16),
  created_at timestamptz NOT NULL DEFAULT now(),
  one_row boolean NOT NULL DEFAULT true UNIQUE CHECK (one_row)
);
INSERT INTO __SCHEMA__.install DEFAULT VALUES;
