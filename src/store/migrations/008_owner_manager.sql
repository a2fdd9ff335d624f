-- The rep's manager as the CRM records it (Salesforce User.ManagerId); null where the CRM has none.
-- A discount approval goes to the manager when no approver is configured for its tier.
ALTER TABLE __SCHEMA__.owners ADD COLUMN manager_id text;
