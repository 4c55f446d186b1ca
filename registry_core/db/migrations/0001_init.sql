-- Registry core schema: TLDs, registrars, the three EPP object kinds, their links,
-- transfers, poll queue, history and the billing ledger.
-- Names are lower-case A-labels; live objects have deleted_at IS NULL.

CREATE TABLE tld (
    name                    text PRIMARY KEY CHECK (name = lower(name) AND name <> ''),
    roid_suffix             text NOT NULL CHECK (roid_suffix ~ '^[A-Z0-9_]{1,8}$'),
    contact_policy          text NOT NULL DEFAULT 'optional'
                                 CHECK (contact_policy IN ('required', 'optional', 'none')),
    currency                text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    min_period_years        int  NOT NULL DEFAULT 1 CHECK (min_period_years BETWEEN 1 AND 10),
    max_period_years        int  NOT NULL DEFAULT 10 CHECK (max_period_years BETWEEN 1 AND 10),
    max_expiry_years        int  NOT NULL DEFAULT 10 CHECK (max_expiry_years BETWEEN 1 AND 10),
    transfer_period_years   int  NOT NULL DEFAULT 1 CHECK (transfer_period_years BETWEEN 0 AND 10),
    transfer_auto_approve   interval NOT NULL DEFAULT '5 days',
    add_grace               interval NOT NULL DEFAULT '5 days',
    renew_grace             interval NOT NULL DEFAULT '5 days',
    autorenew_grace         interval NOT NULL DEFAULT '45 days',
    transfer_grace          interval NOT NULL DEFAULT '5 days',
    redemption_period       interval NOT NULL DEFAULT '30 days',
    pending_delete_period   interval NOT NULL DEFAULT '5 days',
    auto_renew              boolean NOT NULL DEFAULT true,
    whois_enabled           boolean NOT NULL DEFAULT true,
    rdap_icann_profile      boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (min_period_years <= max_period_years)
);

CREATE TABLE tld_price (
    tld         text NOT NULL REFERENCES tld (name) ON DELETE CASCADE,
    action      text NOT NULL CHECK (action IN ('create', 'renew', 'transfer', 'restore')),
    amount      numeric(14, 2) NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (tld, action)
);

CREATE TABLE registrar (
    id                  text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._-]{3,16}$'),
    name                text NOT NULL,
    iana_id             int UNIQUE CHECK (iana_id > 0),
    password_hash       text NOT NULL,
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'readonly', 'suspended')),
    ip_allowlist        cidr[] NOT NULL DEFAULT '{}',
    balance             numeric(14, 2) NOT NULL DEFAULT 0,
    credit_limit        numeric(14, 2) NOT NULL DEFAULT 0 CHECK (credit_limit >= 0),
    low_balance_alert   numeric(14, 2),
    currency            text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    email               text,
    url                 text,
    whois_server        text,
    abuse_email         text,
    abuse_phone         text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz,
    -- the database itself refuses any balance below the credit line
    CONSTRAINT registrar_balance_within_credit CHECK (balance >= -credit_limit)
);

CREATE TABLE registrar_certificate (
    registrar_id    text NOT NULL REFERENCES registrar (id) ON DELETE CASCADE,
    sha256          text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    subject         text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (registrar_id, sha256)
);

CREATE TABLE contact (
    id              bigserial PRIMARY KEY,
    roid            text NOT NULL UNIQUE,
    handle          text NOT NULL CHECK (char_length(handle) BETWEEN 3 AND 16),
    sponsor_id      text NOT NULL REFERENCES registrar (id),
    creator_id      text NOT NULL REFERENCES registrar (id),
    updater_id      text REFERENCES registrar (id),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz,
    transferred_at  timestamptz,
    deleted_at      timestamptz,
    auth_info       bytea,
    statuses        text[] NOT NULL DEFAULT '{}' CHECK (statuses <@ ARRAY[
                        'clientDeleteProhibited', 'clientTransferProhibited', 'clientUpdateProhibited',
                        'serverDeleteProhibited', 'serverTransferProhibited', 'serverUpdateProhibited']::text[]),
    postal_int      jsonb,
    postal_loc      jsonb,
    voice           text,
    voice_ext       text,
    fax             text,
    fax_ext         text,
    email           text NOT NULL,
    disclose        jsonb,
    CHECK (postal_int IS NOT NULL OR postal_loc IS NOT NULL)
);
CREATE UNIQUE INDEX contact_live_handle ON contact (handle) WHERE deleted_at IS NULL;
CREATE INDEX contact_sponsor ON contact (sponsor_id) WHERE deleted_at IS NULL;

CREATE TABLE domain (
    id              bigserial PRIMARY KEY,
    roid            text NOT NULL UNIQUE,
    name            text NOT NULL CHECK (name = lower(name) AND name LIKE '%.%'),
    tld             text NOT NULL REFERENCES tld (name),
    registrant_id   bigint REFERENCES contact (id),
    sponsor_id      text NOT NULL REFERENCES registrar (id),
    creator_id      text NOT NULL REFERENCES registrar (id),
    updater_id      text REFERENCES registrar (id),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz,
    expires_at      timestamptz NOT NULL,
    transferred_at  timestamptz,
    deleted_at      timestamptz,
    auth_info       bytea,
    statuses        text[] NOT NULL DEFAULT '{}' CHECK (statuses <@ ARRAY[
                        'clientDeleteProhibited', 'clientHold', 'clientRenewProhibited',
                        'clientTransferProhibited', 'clientUpdateProhibited',
                        'serverDeleteProhibited', 'serverHold', 'serverRenewProhibited',
                        'serverTransferProhibited', 'serverUpdateProhibited', 'pendingDelete']::text[]),
    CHECK (expires_at > created_at)
);
CREATE UNIQUE INDEX domain_live_name ON domain (name) WHERE deleted_at IS NULL;
CREATE INDEX domain_name_prefix ON domain (name text_pattern_ops) WHERE deleted_at IS NULL;
CREATE INDEX domain_sponsor ON domain (sponsor_id) WHERE deleted_at IS NULL;
CREATE INDEX domain_registrant ON domain (registrant_id) WHERE deleted_at IS NULL;
CREATE INDEX domain_expiry ON domain (expires_at) WHERE deleted_at IS NULL;

CREATE TABLE host (
    id                  bigserial PRIMARY KEY,
    roid                text NOT NULL UNIQUE,
    name                text NOT NULL CHECK (name = lower(name) AND name LIKE '%.%'),
    superordinate_id    bigint REFERENCES domain (id),
    sponsor_id          text NOT NULL REFERENCES registrar (id),
    creator_id          text NOT NULL REFERENCES registrar (id),
    updater_id          text REFERENCES registrar (id),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz,
    transferred_at      timestamptz,
    deleted_at          timestamptz,
    statuses            text[] NOT NULL DEFAULT '{}' CHECK (statuses <@ ARRAY[
                            'clientDeleteProhibited', 'clientUpdateProhibited',
                            'serverDeleteProhibited', 'serverUpdateProhibited']::text[])
);
CREATE UNIQUE INDEX host_live_name ON host (name) WHERE deleted_at IS NULL;
CREATE INDEX host_name_prefix ON host (name text_pattern_ops) WHERE deleted_at IS NULL;
CREATE INDEX host_superordinate ON host (superordinate_id) WHERE deleted_at IS NULL;

CREATE TABLE host_address (
    host_id     bigint NOT NULL REFERENCES host (id) ON DELETE CASCADE,
    address     inet NOT NULL CHECK (masklen(address) = CASE family(address) WHEN 4 THEN 32 ELSE 128 END),
    PRIMARY KEY (host_id, address)
);
CREATE INDEX host_address_lookup ON host_address (address);

CREATE TABLE domain_host (
    domain_id   bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
    host_id     bigint NOT NULL REFERENCES host (id),
    PRIMARY KEY (domain_id, host_id)
);
CREATE INDEX domain_host_by_host ON domain_host (host_id);

CREATE TABLE domain_contact (
    domain_id   bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
    contact_id  bigint NOT NULL REFERENCES contact (id),
    role        text NOT NULL CHECK (role IN ('admin', 'billing', 'tech')),
    PRIMARY KEY (domain_id, role, contact_id)
);
CREATE INDEX domain_contact_by_contact ON domain_contact (contact_id);

-- RFC 5910 DS data (with optional key data)
CREATE TABLE ds_record (
    domain_id   bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
    key_tag     int NOT NULL CHECK (key_tag BETWEEN 0 AND 65535),
    alg         smallint NOT NULL CHECK (alg BETWEEN 0 AND 255),
    digest_type smallint NOT NULL CHECK (digest_type BETWEEN 0 AND 255),
    digest      text NOT NULL CHECK (digest ~ '^[0-9A-F]+$'),
    key_flags   int CHECK (key_flags BETWEEN 0 AND 65535),
    key_protocol smallint CHECK (key_protocol BETWEEN 0 AND 255),
    key_alg     smallint CHECK (key_alg BETWEEN 0 AND 255),
    public_key  text,
    PRIMARY KEY (domain_id, key_tag, alg, digest_type, digest)
);

CREATE TABLE transfer (
    id              bigserial PRIMARY KEY,
    object_type     text NOT NULL CHECK (object_type IN ('domain', 'contact')),
    object_id       bigint NOT NULL,
    object_name     text NOT NULL,
    status          text NOT NULL CHECK (status IN ('pending', 'clientApproved', 'clientCancelled',
                        'clientRejected', 'serverApproved', 'serverCancelled')),
    gaining_id      text NOT NULL REFERENCES registrar (id),
    losing_id       text NOT NULL REFERENCES registrar (id),
    requested_at    timestamptz NOT NULL,
    action_due      timestamptz NOT NULL,
    acted_at        timestamptz,
    period_years    int CHECK (period_years BETWEEN 0 AND 10),
    expires_at      timestamptz,
    CHECK (gaining_id <> losing_id)
);
CREATE UNIQUE INDEX transfer_one_pending ON transfer (object_type, object_id) WHERE status = 'pending';
CREATE INDEX transfer_latest ON transfer (object_type, object_id, id DESC);
CREATE INDEX transfer_due ON transfer (action_due) WHERE status = 'pending';

CREATE TABLE poll_message (
    id              bigserial PRIMARY KEY,
    registrar_id    text NOT NULL REFERENCES registrar (id),
    created_at      timestamptz NOT NULL,
    kind            text NOT NULL,
    message         text NOT NULL,
    payload         jsonb NOT NULL DEFAULT '{}',
    acked_at        timestamptz
);
CREATE INDEX poll_message_queue ON poll_message (registrar_id, id) WHERE acked_at IS NULL;

CREATE TABLE history (
    id              bigserial PRIMARY KEY,
    object_type     text NOT NULL CHECK (object_type IN ('domain', 'contact', 'host', 'registrar', 'tld')),
    object_id       bigint,
    object_name     text NOT NULL,
    action          text NOT NULL,
    registrar_id    text REFERENCES registrar (id),
    sv_trid         text NOT NULL,
    cl_trid         text,
    at              timestamptz NOT NULL,
    before          jsonb,
    after           jsonb
);
CREATE INDEX history_object ON history (object_type, object_id, id);
CREATE INDEX history_sv_trid ON history (sv_trid);

CREATE TABLE ledger (
    id              bigserial PRIMARY KEY,
    registrar_id    text NOT NULL REFERENCES registrar (id),
    at              timestamptz NOT NULL,
    amount          numeric(14, 2) NOT NULL CHECK (amount <> 0),
    currency        text NOT NULL,
    balance_after   numeric(14, 2) NOT NULL,
    action          text NOT NULL CHECK (action IN ('create', 'renew', 'transfer', 'restore',
                        'autorenew', 'refund', 'credit', 'adjustment')),
    object_type     text,
    object_id       bigint,
    object_name     text,
    period_years    int,
    sv_trid         text NOT NULL,
    description     text
);
CREATE INDEX ledger_registrar ON ledger (registrar_id, id);
