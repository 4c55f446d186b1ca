-- DNS propagation: how long each published change took from its commit until every
-- secondary served it (or, without secondaries, the primary itself), written by the
-- publisher's probe, and what each secondary served when last asked.

-- One row per published owner change. seconds is NULL when a secondary did not serve
-- the publication within [dns] probe_timeout ("not served"). The probe keeps the
-- newest [dns] probe_history rows per TLD.
CREATE TABLE dns_propagation (
    id          bigserial PRIMARY KEY,
    tld         text NOT NULL REFERENCES tld (name) ON DELETE CASCADE,
    owner       text NOT NULL,
    serial      bigint NOT NULL,        -- the primary's SOA serial that had to be served
    changed_at  timestamptz NOT NULL,   -- the commit of the change that was published
    served_at   timestamptz,            -- when the last server (secondary or primary) served it
    seconds     double precision,       -- served_at - changed_at
    measured_on text NOT NULL CHECK (measured_on IN ('secondaries', 'primary'))
);
CREATE INDEX dns_propagation_recent ON dns_propagation (tld, id);

-- Per TLD and server ("address@port"; the primary's own address when there are no
-- secondaries): the serial it served when last asked, and its lag behind the primary for
-- the last publication it was asked about (NULL: it did not serve it in time).
CREATE TABLE dns_server_state (
    tld             text NOT NULL REFERENCES tld (name) ON DELETE CASCADE,
    server          text NOT NULL,
    serial          bigint,               -- NULL: no authoritative answer
    checked_at      timestamptz NOT NULL,
    wanted_serial   bigint NOT NULL,      -- the serial of the last publication it was asked for
    lag_seconds     double precision,     -- from that publication on the primary to this server serving it
    PRIMARY KEY (tld, server)
);
