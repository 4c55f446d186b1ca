-- Domain lifecycle (RFC 3915 grace periods and redemption) and pricing (RFC 8748 fees):
-- grace periods with the charge each one can refund, the redemption state of deleted
-- domains, restore reports, premium and reserved names, registrar price groups.

-- How long a restore request waits for its report before the domain falls back to redemption.
ALTER TABLE tld ADD COLUMN pending_restore_period interval NOT NULL DEFAULT '7 days';

-- A deleted domain stays (out of the zone, status pendingDelete) in one of three RGP
-- states until rgp_until; redemption_ends_at is kept for a lapsed restore request.
ALTER TABLE domain
    ADD COLUMN rgp_state text CHECK (rgp_state IN ('redemptionPeriod', 'pendingRestore', 'pendingDelete')),
    ADD COLUMN rgp_until timestamptz,
    ADD COLUMN redemption_ends_at timestamptz,
    ADD COLUMN delete_requested_at timestamptz,
    ADD CONSTRAINT domain_rgp_complete CHECK ((rgp_state IS NULL) = (rgp_until IS NULL));
CREATE INDEX domain_rgp_due ON domain (rgp_until) WHERE rgp_state IS NOT NULL AND deleted_at IS NULL;

-- One row per open grace period: the registrar charged and the amount a delete inside the
-- period gives back. Rows are removed when refunded or superseded (transfer, restore).
CREATE TABLE grace_period (
    id              bigserial PRIMARY KEY,
    domain_id       bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('addPeriod', 'renewPeriod', 'autoRenewPeriod',
                        'transferPeriod', 'pendingRestore')),
    registrar_id    text NOT NULL REFERENCES registrar (id),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    amount          numeric(14, 2) NOT NULL CHECK (amount >= 0),
    currency        text NOT NULL,
    period_years    int NOT NULL DEFAULT 0,
    sv_trid         text NOT NULL,
    CHECK (ends_at >= starts_at)
);
CREATE INDEX grace_period_domain ON grace_period (domain_id, ends_at);

-- What the gaining registrar actually paid, so a reject/cancel refunds exactly that.
ALTER TABLE transfer ADD COLUMN charged numeric(14, 2);

-- RFC 3915 section 4.3.2 restore reports, kept as submitted.
CREATE TABLE restore_report (
    id              bigserial PRIMARY KEY,
    domain_id       bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
    registrar_id    text NOT NULL REFERENCES registrar (id),
    submitted_at    timestamptz NOT NULL,
    sv_trid         text NOT NULL,
    pre_data        text NOT NULL,
    post_data       text NOT NULL,
    del_time        timestamptz NOT NULL,
    res_time        timestamptz NOT NULL,
    res_reason      text NOT NULL,
    statements      text[] NOT NULL,
    other           text
);
CREATE INDEX restore_report_domain ON restore_report (domain_id);

-- Premium names: their own yearly price per action (NULL = the standard price).
CREATE TABLE premium_name (
    name            text PRIMARY KEY CHECK (name = lower(name) AND name LIKE '%.%'),
    tld             text NOT NULL REFERENCES tld (name) ON DELETE CASCADE,
    create_price    numeric(14, 2) CHECK (create_price >= 0),
    renew_price     numeric(14, 2) CHECK (renew_price >= 0),
    transfer_price  numeric(14, 2) CHECK (transfer_price >= 0),
    restore_price   numeric(14, 2) CHECK (restore_price >= 0),
    updated_at      timestamptz NOT NULL
);
CREATE INDEX premium_name_tld ON premium_name (tld);

-- Reserved names: check says unavailable with the reason, create is refused.
CREATE TABLE reserved_name (
    name            text PRIMARY KEY CHECK (name = lower(name) AND name LIKE '%.%'),
    tld             text NOT NULL REFERENCES tld (name) ON DELETE CASCADE,
    reason          text NOT NULL DEFAULT 'Reserved',
    created_at      timestamptz NOT NULL
);
CREATE INDEX reserved_name_tld ON reserved_name (tld);

-- Registrar price groups: a group's standard price per TLD and action replaces the TLD's.
CREATE TABLE price_group_price (
    group_name      text NOT NULL CHECK (group_name ~ '^[A-Za-z0-9._-]{1,32}$'),
    tld             text NOT NULL REFERENCES tld (name) ON DELETE CASCADE,
    action          text NOT NULL CHECK (action IN ('create', 'renew', 'transfer', 'restore')),
    amount          numeric(14, 2) NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (group_name, tld, action)
);

CREATE TABLE registrar_price_group (
    registrar_id    text PRIMARY KEY REFERENCES registrar (id) ON DELETE CASCADE,
    group_name      text NOT NULL CHECK (group_name ~ '^[A-Za-z0-9._-]{1,32}$')
);
