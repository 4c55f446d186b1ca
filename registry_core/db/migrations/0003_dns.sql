-- DNS publication: the change log every zone-changing transform writes in its own
-- transaction (an outbox, coalesced per owner name), what the publisher last sent per
-- owner, the apex settings of each TLD zone and the publisher's state per TLD.

-- Apex and publication settings of one TLD zone (`registry dns set TLD KEY=VALUE`);
-- a TLD without a row uses the defaults below. Durations in seconds.
CREATE TABLE tld_dns (
    tld                 text PRIMARY KEY REFERENCES tld (name) ON DELETE CASCADE,
    ttl                 int NOT NULL DEFAULT 3600 CHECK (ttl BETWEEN 0 AND 2147483647),
    soa_ttl             int NOT NULL DEFAULT 3600 CHECK (soa_ttl BETWEEN 0 AND 2147483647),
    soa_mname           text,       -- NULL: the first apex name server
    soa_rname           text,       -- NULL: hostmaster.<tld>
    soa_refresh         int NOT NULL DEFAULT 1800 CHECK (soa_refresh > 0),
    soa_retry           int NOT NULL DEFAULT 900 CHECK (soa_retry > 0),
    soa_expire          int NOT NULL DEFAULT 1209600 CHECK (soa_expire > 0),
    soa_minimum         int NOT NULL DEFAULT 3600 CHECK (soa_minimum >= 0),
    nameservers         text[] NOT NULL DEFAULT '{}',  -- apex NS; empty: the primary's own start-up set
    nic_addresses       inet[] NOT NULL DEFAULT '{}',  -- A/AAAA of nic.<tld>
    records             text[] NOT NULL DEFAULT '{}',  -- operator records: "owner TYPE rdata", absolute owner
    max_delete_share    numeric(5, 4) NOT NULL DEFAULT 0.05 CHECK (max_delete_share BETWEEN 0 AND 1),
    delete_floor        int NOT NULL DEFAULT 10 CHECK (delete_floor >= 0)  -- deletes always allowed up to this
);

-- One row per owner name whose records may have changed since the last publication.
-- A second change before publication bumps seq: the publisher deletes only rows whose
-- seq it saw, so a change that arrives while a batch is in flight is published next.
CREATE SEQUENCE dns_change_seq;
CREATE TABLE dns_change (
    tld         text NOT NULL REFERENCES tld (name) ON DELETE CASCADE,
    owner       text NOT NULL,
    seq         bigint NOT NULL DEFAULT nextval('dns_change_seq'),
    changed_at  timestamptz NOT NULL,
    PRIMARY KEY (tld, owner)
);
CREATE INDEX dns_change_queue ON dns_change (tld, seq);

-- What the publisher last sent for an owner: [[type, ttl, [rdata, ...]], ...], presentation
-- format, lower case. An owner with nothing published has no row.
CREATE TABLE dns_published (
    tld             text NOT NULL REFERENCES tld (name) ON DELETE CASCADE,
    owner           text NOT NULL,
    rrsets          jsonb NOT NULL,
    delegated       boolean NOT NULL,  -- an NS set below the apex: what the delete guard counts
    published_at    timestamptz NOT NULL,
    PRIMARY KEY (tld, owner)
);
CREATE INDEX dns_published_delegations ON dns_published (tld) WHERE delegated;

-- The publisher's state per TLD. serial counts publications and never goes back.
CREATE TABLE dns_zone_state (
    tld                 text PRIMARY KEY REFERENCES tld (name) ON DELETE CASCADE,
    serial              bigint NOT NULL DEFAULT 0,
    paused              boolean NOT NULL DEFAULT false,
    full_needed         boolean NOT NULL DEFAULT false,  -- every owner is to be re-published (bulk loads)
    guard_tripped       text,            -- why the delete guard refused; publication waits for the operator
    guard_override      boolean NOT NULL DEFAULT false,  -- the operator accepted the refused deletes once
    last_error          text,
    last_error_at       timestamptz,
    last_published_at   timestamptz
);

-- Owners whose publication kept failing (after retries and splitting), set aside with the
-- error so that the rest of the zone keeps flowing; `registry dns publish TLD --parked` retries.
CREATE TABLE dns_parked (
    tld         text NOT NULL REFERENCES tld (name) ON DELETE CASCADE,
    owner       text NOT NULL,
    error       text NOT NULL,
    parked_at   timestamptz NOT NULL,
    PRIMARY KEY (tld, owner)
);
