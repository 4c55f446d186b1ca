-- The shop's mail outbox: a mail is written in the transaction of the change it tells about and
-- leaves after commit, sent by the MailSender (storefront/mail.py), retried with backoff. `key`
-- makes a step that is retried write its mail once (an order's confirmation, a code).
CREATE TABLE mail_outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key text UNIQUE,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    failed_at timestamptz,  -- given up after MAX_ATTEMPTS (or a permanent refusal)
    last_error text
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- The names the shop's customers hold: written when an order registers a name (or a transfer
-- in completes), read by the portal. `name` is the A-label; `registry` the connector's name.
CREATE TABLE customer_domain (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customer (id) ON DELETE RESTRICT,
    name text NOT NULL UNIQUE CHECK (name = lower(name)),
    registry text NOT NULL,
    order_ref text,
    expires_at timestamptz,
    auto_renew boolean NOT NULL DEFAULT true,
    hosted_dns boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_domain_customer ON customer_domain (customer_id);
