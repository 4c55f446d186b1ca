-- The shop's web sessions: the cookie holds a random 128-bit token, the table only its
-- SHA-256. A session is signed in once customer_id is set (renewed at sign-in: a new token),
-- and ends at its idle or absolute limit. Each has its own CSRF token for forms.
CREATE TABLE web_session (
    token_hash bytea PRIMARY KEY,
    customer_id bigint REFERENCES customer (id) ON DELETE CASCADE,
    csrf text NOT NULL,
    created_at timestamptz NOT NULL,
    seen_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX web_session_customer ON web_session (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX web_session_expiry ON web_session (expires_at);
