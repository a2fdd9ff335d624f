-- A connection's provider is any name the connector registry knows (connectors/registry.ts): the
-- registry, not the schema, decides which providers exist.
ALTER TABLE __SCHEMA__.connections DROP CONSTRAINT IF EXISTS connections_provider_check;
