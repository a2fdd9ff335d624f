-- A deal's discount approval is its own task, assigned to the approver (the user mapped to the
-- finding's tier, else the rep's manager, else the rep): a second row per deal in warning_records,
-- kind 'approval', with its own key, ledger state and CRM id. It opens when the deal's
-- discount-over-limit finding opens and is closed (the task completed) when that finding resolves,
-- the deal's closing included. The warning record keeps kind 'warning'.
ALTER TABLE __SCHEMA__.warning_records ADD COLUMN kind text NOT NULL DEFAULT 'warning' CHECK (kind IN ('warning', 'approval'));
ALTER TABLE __SCHEMA__.warning_records DROP CONSTRAINT warning_records_pkey;
ALTER TABLE __SCHEMA__.warning_records ADD PRIMARY KEY (connection_id, deal_id, kind);

-- Deals whose discount finding is open get their approval task, due once.
INSERT INTO __SCHEMA__.warning_records (connection_id, deal_id, kind, record_key, opened_at, state, changed_at, write_status)
SELECT connection_id, deal_id, 'approval', 'dwa-' || md5(connection_id || '/' || deal_id || '/' || first_seen_at::text), first_seen_at, 'open', last_seen_at, 'planned'
FROM __SCHEMA__.findings WHERE status = 'open' AND rule_id = 'discount_over_limit';
