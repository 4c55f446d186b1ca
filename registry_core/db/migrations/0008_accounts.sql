-- Console users, their sessions and second factors, API keys, and the login throttle
-- (registry_core/model/accounts.py has the rules). Secrets are stored as digests (sessions,
-- API keys, recovery codes), scrypt hashes (passwords) or encrypted (TOTP secrets).

CREATE TABLE console_user (
    id              bigserial PRIMARY KEY,
    login           text NOT NULL UNIQUE CHECK (login = lower(login) AND login ~ '^[a-z0-9][a-z0-9._@-]{1,63}$'),
    email           text NOT NULL,
    display_name    text NOT NULL DEFAULT '',
    registrar_id    text REFERENCES registrar (id),  -- NULL: registry staff
    role            text NOT NULL CHECK (
                        (registrar_id IS NULL AND role IN ('admin', 'support', 'finance', 'read-only'))
                        OR (registrar_id IS NOT NULL AND role IN ('owner', 'technical', 'billing', 'read-only'))),
    password_hash   text,            -- NULL: signs in through single sign-on only
    totp_secret     bytea,           -- encrypted; NULL until TOTP is confirmed
    totp_pending    bytea,           -- encrypted; a secret being enrolled, not yet confirmed
    totp_last_step  bigint,          -- the step of the last accepted code: each code counts once
    created_at      timestamptz NOT NULL,
    disabled_at     timestamptz
);
CREATE INDEX console_user_registrar ON console_user (registrar_id);

CREATE TABLE console_recovery_code (
    user_id     bigint NOT NULL REFERENCES console_user (id) ON DELETE CASCADE,
    code_digest bytea NOT NULL,
    used_at     timestamptz,
    PRIMARY KEY (user_id, code_digest)
);

CREATE TABLE console_session (
    token_digest    bytea PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES console_user (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,     -- absolute end, whatever the activity
    mfa_at          timestamptz,              -- NULL: the second factor is still to come
    reauth_at       timestamptz,              -- last time the user proved it again (sensitive changes)
    csrf_token      text NOT NULL,
    ip              inet,
    user_agent      text NOT NULL DEFAULT '',
    ended_at        timestamptz
);
CREATE INDEX console_session_user ON console_session (user_id) WHERE ended_at IS NULL;

CREATE TABLE api_key (
    id              bigserial PRIMARY KEY,
    key_digest      bytea NOT NULL UNIQUE,
    hint            text NOT NULL,            -- prefix and last characters, for lists
    name            text NOT NULL,
    registrar_id    text REFERENCES registrar (id),   -- NULL: a registry key
    role            text NOT NULL,
    scopes          text[] NOT NULL DEFAULT '{}',
    allowed_ips     cidr[] NOT NULL DEFAULT '{}',     -- empty: from anywhere
    created_by      bigint REFERENCES console_user (id),
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz,
    last_used_at    timestamptz,
    last_used_ip    inet,
    revoked_at      timestamptz
);

-- Refused logins per account and per client address: how many in a row and when the next
-- try may come. A success clears the account's row.
CREATE TABLE login_throttle (
    key             text PRIMARY KEY,         -- 'user:<login>' or 'ip:<address>'
    failures        int NOT NULL,
    last_failure_at timestamptz NOT NULL,
    next_allowed_at timestamptz NOT NULL
);

ALTER TABLE history DROP CONSTRAINT history_object_type_check;
ALTER TABLE history ADD CONSTRAINT history_object_type_check
    CHECK (object_type IN ('domain', 'contact', 'host', 'registrar', 'tld', 'user', 'api_key'));
