-- Who acted through a console or the API, beside the registrar: {"user": login, "ip": ...,
-- "session": hint} (NULL for EPP and the CLI). Covered by the row's hash when present.
ALTER TABLE history ADD COLUMN via jsonb;
