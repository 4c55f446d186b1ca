-- Notifications: one outbox for EPP poll, email and webhooks. A transform writes the
-- event and its deliveries (one per channel and target) in its own transaction; the EPP
-- poll channel is delivered right there (the poll_message row, the queue EPP <poll> reads),
-- email and webhook deliveries wait for the dispatcher, woken by NOTIFY after commit.

-- Days before expiry at which the sponsor hears a reminder (the lifecycle runner writes them).
ALTER TABLE tld ADD COLUMN expiry_reminder_days int[] NOT NULL DEFAULT '{30,7,1}'
    CHECK (0 < ALL (expiry_reminder_days));
-- When a pinned client certificate stops being valid (reminders 30 and 7 days before).
ALTER TABLE registrar_certificate ADD COLUMN not_after timestamptz;

-- Webhook endpoints of a registrar (registrar_id NULL: the operator's). Secrets are the
-- Standard Webhooks "whsec_" + base64 form, stored encrypted; during a rollover the previous
-- one stays valid until previous_valid_until and deliveries are signed with both.
CREATE TABLE webhook_endpoint (
    id                      bigserial PRIMARY KEY,
    registrar_id            text REFERENCES registrar (id) ON DELETE CASCADE,
    url                     text NOT NULL CHECK (url ~ '^https?://'),
    secret                  bytea NOT NULL,
    previous_secret         bytea,
    previous_valid_until    timestamptz,
    created_at              timestamptz NOT NULL,
    rotated_at              timestamptz,
    removed_at              timestamptz
);
CREATE INDEX webhook_endpoint_owner ON webhook_endpoint (registrar_id) WHERE removed_at IS NULL;

-- Which channels an audience hears an event type on ('*': every type without its own row).
-- emails NULL: the registrar's contact address (the operator has none); webhooks NULL:
-- every live endpoint of the audience; an empty array: none. EPP poll is not a preference.
CREATE TABLE notification_pref (
    audience    text NOT NULL CHECK (audience = 'operator' OR audience LIKE 'registrar:_%'),
    event_type  text NOT NULL CHECK (event_type ~ '^(\*|[a-z_]+(\.[a-z_]+)+)$'),
    emails      text[],
    webhooks    bigint[],
    PRIMARY KEY (audience, event_type)
);

-- One event for one audience. key is the idempotency key: writing the same event twice
-- (a rerun of a job) is a no-op.
CREATE TABLE notification_event (
    id              bigserial PRIMARY KEY,
    key             text NOT NULL UNIQUE,
    type            text NOT NULL,
    object_kind     text,
    object_name     text,
    object_roid     text,
    audience        text NOT NULL,
    registrar_id    text REFERENCES registrar (id) ON DELETE CASCADE,
    payload         jsonb NOT NULL,
    occurred_at     timestamptz NOT NULL
);
CREATE INDEX notification_event_time ON notification_event (occurred_at);

-- One delivery of an event on a channel to a target (an e-mail address, a webhook endpoint
-- id, the registrar's poll queue). key is stable across retries: the webhook-id.
-- A dispatcher that claims a row sets lease_token and moves next_attempt_at to the lease's
-- end, so a row of a dispatcher that died comes back by itself when the lease runs out.
CREATE TABLE notification (
    id              bigserial PRIMARY KEY,
    event_id        bigint NOT NULL REFERENCES notification_event (id) ON DELETE CASCADE,
    channel         text NOT NULL CHECK (channel IN ('poll', 'email', 'webhook')),
    target          text NOT NULL,
    key             text NOT NULL UNIQUE,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'dead')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_token     uuid,
    last_error      text,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    poll_message_id bigint REFERENCES poll_message (id) ON DELETE SET NULL
);
CREATE INDEX notification_due ON notification (next_attempt_at) WHERE status IN ('queued', 'failed');
CREATE INDEX notification_event_rows ON notification (event_id);
CREATE INDEX notification_by_status ON notification (status, created_at) WHERE status <> 'sent';

-- Wake the dispatchers (LISTEN registry_notification) after commit; PostgreSQL folds the
-- identical notifications of one transaction into one.
CREATE FUNCTION notification_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('registry_notification', '');
    RETURN NULL;
END $$;
CREATE TRIGGER notification_queued AFTER INSERT OR UPDATE OF status, next_attempt_at ON notification
    FOR EACH ROW WHEN (NEW.status = 'queued' AND NEW.lease_token IS NULL) EXECUTE FUNCTION notification_wake();
