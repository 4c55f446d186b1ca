-- A deposit holds the state at its watermark: the objects changed after it are found by the
-- history rows dated after it. History is append-only and its times grow with its ids, so a
-- BRIN index answers that range in a few pages at a negligible cost per insert.
CREATE INDEX history_at_brin ON history USING brin (at);

-- Grace periods cut short (a delete, a transfer, a restore report, a purge) leave the live
-- table; the part that ran is kept here, so a deposit at an earlier watermark still shows
-- the rgpStatus the domain had then.
CREATE TABLE grace_period_ended (
    id          bigint PRIMARY KEY,          -- the grace_period row's id
    domain_id   bigint NOT NULL REFERENCES domain (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,        -- when it was cut short (its planned end if that came first)
    CHECK (ends_at >= starts_at)
);
CREATE INDEX grace_period_ended_domain ON grace_period_ended (domain_id, ends_at);
