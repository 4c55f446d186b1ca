-- The server statuses an abuse case placed on its domain (hold: serverHold, transfer-lock:
-- serverTransferProhibited), so that releasing the case takes off exactly those and no status
-- another case, a registry lock or the staff set.
ALTER TABLE abuse_case ADD COLUMN placed_statuses text[] NOT NULL DEFAULT '{}';
