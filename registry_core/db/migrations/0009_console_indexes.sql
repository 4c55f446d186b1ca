-- The registrar console lists a registrar's domains by name (keyset pages): one index
-- that serves both the sponsor filter and the order, at any registrar size.
CREATE INDEX domain_sponsor_name ON domain (sponsor_id, name text_pattern_ops) WHERE deleted_at IS NULL;
