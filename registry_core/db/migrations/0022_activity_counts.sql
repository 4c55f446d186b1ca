-- What the servers answered, for ICANN's monthly Registry Functions Activity Report and the
-- attempted-adds of the per-registrar report (Registry Agreement Specification 3): each
-- serving process adds up its EPP commands, WHOIS and RDAP queries in memory and appends
-- one row per (TLD, registrar, field) every few seconds. Rows are never changed: a month's
-- counts are the sum of the rows flushed in it, so a report run twice is the same report.
CREATE TABLE activity_count (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL,   -- the flush; its counts are of the seconds before it
    tld             text,                   -- NULL: a shared service (contacts, hosts, entities): every TLD
    registrar_id    text,                   -- the EPP client; NULL for public queries
    field           text NOT NULL,          -- the Specification 3 field name (srs-dom-create, rdap-queries ...)
    n               bigint NOT NULL CHECK (n > 0)
);
CREATE INDEX activity_count_at ON activity_count (at);
