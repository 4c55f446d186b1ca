-- Registry lock, registrant verification (NIS2 Art. 28) and access requests for redacted data.

ALTER TABLE tld
    ADD COLUMN lock_allows_ds boolean NOT NULL DEFAULT false,
    ADD COLUMN verification text NOT NULL DEFAULT 'none' CHECK (verification IN ('none', 'email', 'document')),
    ADD COLUMN verification_days integer CHECK (verification_days IS NULL OR verification_days > 0);

-- A registrar's request to lock or unlock a domain, confirmed out of band with a code mailed to
-- the registrar's address (only its digest is kept) and a fresh second factor in the console.
CREATE TABLE registry_lock_request (
    id            bigserial PRIMARY KEY,
    domain_id     bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
    domain_name   text NOT NULL,
    registrar_id  text NOT NULL,
    action        text NOT NULL CHECK (action IN ('lock', 'unlock')),
    state         text NOT NULL DEFAULT 'requested' CHECK (state IN ('requested', 'confirmed', 'expired', 'cancelled')),
    code_digest   bytea NOT NULL,
    reason        text NOT NULL,
    requested_by  text NOT NULL,
    requested_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    confirmed_at  timestamptz,
    failed_tries  integer NOT NULL DEFAULT 0
);
CREATE INDEX registry_lock_request_open ON registry_lock_request (domain_id) WHERE state = 'requested';

-- Domains under registry lock (the three server prohibitions are on the domain's statuses).
CREATE TABLE registry_lock (
    domain_id   bigint PRIMARY KEY REFERENCES domain (id) ON DELETE CASCADE,
    domain_name text NOT NULL,
    locked_at   timestamptz NOT NULL,
    request_id  bigint REFERENCES registry_lock_request (id)
);

CREATE TABLE contact_verification (
    contact_id    bigint PRIMARY KEY REFERENCES contact (id) ON DELETE CASCADE,
    handle        text NOT NULL,
    state         text NOT NULL DEFAULT 'unverified'
                  CHECK (state IN ('unverified', 'requested', 'pending_review', 'verified', 'failed', 'expired')),
    method        text CHECK (method IN ('email', 'document')),
    fields        text[] NOT NULL DEFAULT '{}',
    code_digest   bytea,
    requested_at  timestamptz,
    expires_at    timestamptz,
    document_ref  text,
    decided_by    text,
    decided_at    timestamptz,
    note          text
);

-- NIS2 Art. 28(5): requests for redacted registration data, answered within 72 hours (their history
-- rows are under the domain name, object_type domain, no object id: the audit search finds them).
CREATE TABLE access_request (
    id               bigserial PRIMARY KEY,
    domain_name      text NOT NULL,
    requester        text NOT NULL,
    requester_email  text NOT NULL,
    purpose          text NOT NULL,
    fields_requested text[] NOT NULL,
    received_at      timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    decision         text CHECK (decision IN ('granted', 'partial', 'refused')),
    fields_disclosed text[] NOT NULL DEFAULT '{}',
    decided_by       text,
    decided_at       timestamptz,
    reason           text,
    alerted_at       timestamptz
);
CREATE INDEX access_request_open ON access_request (due_at) WHERE decision IS NULL;

-- Domains the lifecycle runner put on serverHold because their registrant was not verified in
-- time; verifying the registrant releases them.
CREATE TABLE verification_hold (
    domain_id  bigint PRIMARY KEY REFERENCES domain (id) ON DELETE CASCADE,
    contact_id bigint NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    held_at    timestamptz NOT NULL
);

-- A verification code goes to the contact's own address: the audience `contact:HANDLE`,
-- whose one preference row names that address.
ALTER TABLE notification_pref DROP CONSTRAINT notification_pref_audience_check;
ALTER TABLE notification_pref ADD CONSTRAINT notification_pref_audience_check
    CHECK (audience = 'operator' OR audience LIKE 'registrar:_%' OR audience LIKE 'contact:_%');
