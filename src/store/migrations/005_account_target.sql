-- Whether the CRM marks a deal's account a target account (key-accounts list); null: not read.
ALTER TABLE __SCHEMA__.deals ADD COLUMN account_is_target boolean;
