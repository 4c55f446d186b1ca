-- A registrar's console user has read the notifications up to this event id (the events of
-- their registrar, shown on the notifications page): the dashboard counts the ones after it.
ALTER TABLE console_user ADD COLUMN notifications_seen_id bigint NOT NULL DEFAULT 0;
