-- What each registrar holds, for the consoles' dashboards without counting its domains on
-- every load. Every statement that writes domains appends one delta row per registrar it
-- touched (statement triggers with transition tables: a COPY of 50,000 rows appends a
-- handful); appends take no lock a concurrent writer waits for. The lifecycle runner folds
-- the deltas into the totals; a reader adds the few deltas not folded yet.
CREATE TABLE registrar_domain_count (
    registrar_id    text PRIMARY KEY REFERENCES registrar (id) ON DELETE CASCADE,
    domains         bigint NOT NULL DEFAULT 0,
    on_hold         bigint NOT NULL DEFAULT 0,
    in_redemption   bigint NOT NULL DEFAULT 0
);
CREATE TABLE registrar_domain_delta (
    id              bigserial PRIMARY KEY,
    registrar_id    text NOT NULL,
    domains         bigint NOT NULL,
    on_hold         bigint NOT NULL,
    in_redemption   bigint NOT NULL
);
CREATE INDEX registrar_domain_delta_registrar ON registrar_domain_delta (registrar_id);

CREATE FUNCTION domain_count_row(d domain, sign int) RETURNS TABLE (domains int, on_hold int, in_redemption int)
LANGUAGE sql IMMUTABLE AS $$
    SELECT sign * (d.deleted_at IS NULL)::int,
           sign * (d.deleted_at IS NULL AND d.statuses && ARRAY['clientHold', 'serverHold'])::int,
           sign * (d.deleted_at IS NULL AND d.statuses && ARRAY['redemptionPeriod', 'pendingDelete'])::int
$$;

CREATE FUNCTION domain_count_deltas() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO registrar_domain_delta (registrar_id, domains, on_hold, in_redemption)
    SELECT sponsor_id, sum(c.domains), sum(c.on_hold), sum(c.in_redemption)
    FROM (SELECT n.sponsor_id, x.* FROM new_rows n, domain_count_row(n, 1) x
          UNION ALL
          SELECT o.sponsor_id, x.* FROM old_rows o, domain_count_row(o, -1) x) AS c
    GROUP BY sponsor_id
    HAVING sum(c.domains) <> 0 OR sum(c.on_hold) <> 0 OR sum(c.in_redemption) <> 0;
    RETURN NULL;
END $$;

-- Transition tables are per event: an INSERT trigger has no old rows and a DELETE trigger
-- no new ones, so those two have functions of their own with the one side they see.
CREATE FUNCTION domain_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO registrar_domain_delta (registrar_id, domains, on_hold, in_redemption)
    SELECT n.sponsor_id, sum(x.domains), sum(x.on_hold), sum(x.in_redemption)
    FROM new_rows n, domain_count_row(n, 1) x GROUP BY n.sponsor_id
    HAVING sum(x.domains) <> 0 OR sum(x.on_hold) <> 0 OR sum(x.in_redemption) <> 0;
    RETURN NULL;
END $$;

CREATE FUNCTION domain_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO registrar_domain_delta (registrar_id, domains, on_hold, in_redemption)
    SELECT o.sponsor_id, sum(x.domains), sum(x.on_hold), sum(x.in_redemption)
    FROM old_rows o, domain_count_row(o, -1) x GROUP BY o.sponsor_id
    HAVING sum(x.domains) <> 0 OR sum(x.on_hold) <> 0 OR sum(x.in_redemption) <> 0;
    RETURN NULL;
END $$;

CREATE TRIGGER domain_counts_insert AFTER INSERT ON domain REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_count_inserted();
CREATE TRIGGER domain_counts_update AFTER UPDATE ON domain REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_count_deltas();
CREATE TRIGGER domain_counts_delete AFTER DELETE ON domain REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION domain_count_deleted();

-- Domains already there when this migration runs.
INSERT INTO registrar_domain_count (registrar_id, domains, on_hold, in_redemption)
SELECT d.sponsor_id, sum(x.domains), sum(x.on_hold), sum(x.in_redemption)
FROM domain d, domain_count_row(d, 1) x GROUP BY d.sponsor_id;
