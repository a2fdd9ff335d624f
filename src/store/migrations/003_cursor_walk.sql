-- Where an unfinished full walk continues (SyncCursor.walk: the phase, i.e. which list, and the
-- provider's paging token within it, kept as returned). NULL phase: no walk in progress.
ALTER TABLE __SCHEMA__.sync_cursors
  ADD COLUMN walk_phase text,
  ADD COLUMN walk_after text;
