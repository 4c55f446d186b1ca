-- The registrar console's delivery history reads a registrar's notification events: an index
-- by registrar, so a registrar with few events among many finds them without a scan of all.
CREATE INDEX notification_event_registrar ON notification_event (registrar_id, id) WHERE registrar_id IS NOT NULL;
