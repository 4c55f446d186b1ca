-- Data escrow (RFC 8909 / RFC 9022): the registrar's postal address a deposit must carry,
-- the cursor of each TLD and deposit mode, and the log of the deposits written.

-- RFC 9022 section 5.4: a registrar object carries one postal address at least.
ALTER TABLE registrar
    ADD COLUMN street   text[] NOT NULL DEFAULT '{}' CHECK (cardinality(street) <= 3),
    ADD COLUMN city     text,
    ADD COLUMN sp       text,
    ADD COLUMN pc       text,
    ADD COLUMN cc       text CHECK (cc ~ '^[A-Z]{2}$'),
    ADD COLUMN voice    text,
    ADD COLUMN fax      text;

-- The next watermark due per TLD and mode: a run writes every deposit from here up to now
-- (a missed day is caught up) and moves the cursor past it in the same transaction that
-- logs the deposit, so nothing is written twice.
CREATE TABLE rde_cursor (
    tld             text NOT NULL REFERENCES tld (name) ON DELETE CASCADE,
    mode            text NOT NULL CHECK (mode IN ('full', 'diff', 'thin')),
    next_watermark  timestamptz NOT NULL,
    PRIMARY KEY (tld, mode)
);

-- Every deposit written (resends included), and whether it reached the agent. `lanes` holds each history lane's head seq as
-- seen by the deposit's snapshot: a DIFF holds exactly the history rows after the heads of
-- the deposit before it (rows of one lane commit in seq order). `snapshot_at` is the
-- snapshot's time, the lower bound of the time-driven changes (grace periods ending).
CREATE TABLE rde_deposit (
    id              bigserial PRIMARY KEY,
    tld             text NOT NULL REFERENCES tld (name) ON DELETE CASCADE,
    mode            text NOT NULL CHECK (mode IN ('full', 'diff', 'thin')),
    deposit_type    text NOT NULL CHECK (deposit_type IN ('FULL', 'DIFF')),
    deposit_id      text NOT NULL CHECK (deposit_id ~ '^\w{1,13}$'),
    prev_id         text,
    watermark       timestamptz NOT NULL,
    resend          int NOT NULL DEFAULT 0 CHECK (resend >= 0),
    snapshot_at     timestamptz NOT NULL,
    lanes           bigint[] NOT NULL,
    counts          jsonb NOT NULL,
    file_name       text NOT NULL,
    written_at      timestamptz NOT NULL,
    uploaded_at     timestamptz,    -- delivered to the agent (SFTP); NULL: still to send
    UNIQUE (tld, mode, watermark, resend)
);
CREATE INDEX rde_deposit_latest ON rde_deposit (tld, watermark DESC, id DESC);
