-- The dashboards' "expiring within 30 days" per registrar: an index-only count of a few
-- thousand entries instead of visiting every domain that expires soon across registrars.
CREATE INDEX domain_sponsor_expiry ON domain (sponsor_id, expires_at) WHERE deleted_at IS NULL;
