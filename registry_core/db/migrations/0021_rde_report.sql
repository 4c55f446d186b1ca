-- The deposit report to ICANN (its registry interface: PUT .../registry-escrow-report/<tld>),
-- sent once the deposit reached the agent. NULL: still to send (`registry rde upload` retries).
ALTER TABLE rde_deposit ADD COLUMN reported_at timestamptz;
