-- Passkeys (WebAuthn credentials) of console users, and the one challenge a session has
-- outstanding (a ceremony in progress: registration or sign-in).
CREATE TABLE console_passkey (
    credential_id   bytea PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES console_user (id) ON DELETE CASCADE,
    public_key      bytea NOT NULL,           -- COSE key, as the authenticator sent it
    sign_count      bigint NOT NULL DEFAULT 0,
    transports      text[] NOT NULL DEFAULT '{}',
    name            text NOT NULL DEFAULT 'passkey',
    created_at      timestamptz NOT NULL,
    last_used_at    timestamptz
);
CREATE INDEX console_passkey_user ON console_passkey (user_id);

ALTER TABLE console_session ADD COLUMN challenge bytea, ADD COLUMN challenge_at timestamptz;
