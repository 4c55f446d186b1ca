-- Fraud and abuse: the create-time risk checks of each TLD, the names they protect, threat
-- feeds an operator imports, and the abuse cases a person works through. Nothing here
-- deletes a domain: a check flags or holds, a case records what was done, by whom and why.

-- Per TLD; a TLD without a row runs no checks. velocity_limit creates of one registrar in
-- the TLD within velocity_window trip the velocity rule (0: off); entropy_threshold is the
-- bits per character above which a long label looks machine-made (0: off). verdict: what a
-- tripped check does: flag (create, open a case), hold (create on serverHold pending
-- review, open a case, tell the registrar).
CREATE TABLE tld_risk_policy (
    tld                 text PRIMARY KEY REFERENCES tld (name) ON DELETE CASCADE,
    velocity_limit      int NOT NULL DEFAULT 0 CHECK (velocity_limit >= 0),
    velocity_window     interval NOT NULL DEFAULT '1 hour' CHECK (velocity_window > interval '0'),
    entropy_threshold   numeric(4, 2) NOT NULL DEFAULT 0 CHECK (entropy_threshold >= 0),
    verdict             text NOT NULL DEFAULT 'flag' CHECK (verdict IN ('flag', 'hold'))
);

-- Protected labels (brands, well-known registered names) by their confusables skeleton
-- (UTS 39): a new label with the same skeleton and another spelling is a look-alike.
CREATE TABLE protected_name (
    skeleton    text PRIMARY KEY,
    label       text NOT NULL,
    added_at    timestamptz NOT NULL
);

-- Threat feeds from files (RPZ zones, plain lists, URLhaus-style CSV): one row per listed
-- name (a domain or a name server), kept with its feed, threat type and dates.
CREATE TABLE threat_feed (
    name        text PRIMARY KEY,
    source      text NOT NULL,      -- the file it was last imported from
    format      text NOT NULL CHECK (format IN ('rpz', 'list', 'csv')),
    imported_at timestamptz NOT NULL,
    entries     int NOT NULL
);
CREATE TABLE threat_entry (
    feed        text NOT NULL REFERENCES threat_feed (name) ON DELETE CASCADE,
    name        text NOT NULL,
    threat_type text NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (feed, name)
);
CREATE INDEX threat_entry_name ON threat_entry (name);

-- An abuse case: opened by a create-time check, a feed match or a report; at most one open
-- case per domain, source and threat type. Its actions are history rows of the domain.
CREATE TABLE abuse_case (
    id              bigserial PRIMARY KEY,
    domain_name     text NOT NULL,
    tld             text,
    registrar_id    text REFERENCES registrar (id),
    source          text NOT NULL CHECK (source IN ('create-check', 'feed', 'report')),
    threat_type     text NOT NULL,
    detail          jsonb NOT NULL,
    state           text NOT NULL DEFAULT 'new'
                    CHECK (state IN ('new', 'triaged', 'registrar-notified', 'action-taken', 'closed')),
    opened_at       timestamptz NOT NULL,
    due_at          timestamptz,
    acted_at        timestamptz,    -- first action taken: the time to action of the statistics
    closed_at       timestamptz
);
CREATE UNIQUE INDEX abuse_case_open ON abuse_case (domain_name, source, threat_type) WHERE state <> 'closed';
CREATE INDEX abuse_case_opened ON abuse_case (tld, opened_at);

-- The velocity rule counts a registrar's recent creates.
CREATE INDEX history_domain_creates ON history (registrar_id, at) WHERE object_type = 'domain' AND action = 'create';
