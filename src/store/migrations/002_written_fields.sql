-- What the CRM's score and flags fields last received for each deal (NULL: never written).
-- Write-back compares the current score and open flags with these, not with the previous score,
-- so fields computed while the connection was in dry-run (or off) are still due when it is
-- switched on, and written once.
ALTER TABLE __SCHEMA__.deal_scores
  ADD COLUMN written_score integer,
  ADD COLUMN written_flags text[];
