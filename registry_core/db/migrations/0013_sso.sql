-- Single sign-on (OpenID Connect): each registrar's own identity provider (the client secret
-- encrypted with the registry's cipher, as TOTP secrets are), and the sign-ins in flight:
-- state, nonce and PKCE verifier bound to the browser's pre-session, used once, short-lived.
CREATE TABLE registrar_sso (
    registrar_id    text PRIMARY KEY REFERENCES registrar (id) ON DELETE CASCADE,
    issuer          text NOT NULL,
    client_id       text NOT NULL,
    client_secret   bytea NOT NULL,
    scopes          text NOT NULL DEFAULT 'openid email',
    updated_at      timestamptz NOT NULL
);

CREATE TABLE sso_attempt (
    state_digest        bytea PRIMARY KEY,
    pre_session_digest  bytea NOT NULL,
    registrar_id        text REFERENCES registrar (id) ON DELETE CASCADE,  -- NULL: the registry's IdP
    nonce               text NOT NULL,
    code_verifier       text NOT NULL,
    created_at          timestamptz NOT NULL
);
CREATE INDEX sso_attempt_created ON sso_attempt (created_at);
