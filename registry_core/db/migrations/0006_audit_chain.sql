-- A tamper-evident history: hash chains over the history rows (registry_core/model/audit.py
-- says how), the head of each chain, and signed checkpoints of all heads.
--
-- Rows written before this migration stay outside the chains (lane NULL); `registry audit
-- verify` counts them.

ALTER TABLE history
    ADD COLUMN lane      smallint,
    ADD COLUMN seq       bigint,
    ADD COLUMN prev_hash bytea,
    ADD COLUMN row_hash  bytea,
    ADD CONSTRAINT history_chained CHECK ((lane IS NULL) = (seq IS NULL) AND (lane IS NULL) = (row_hash IS NULL)
                                          AND (lane IS NULL) = (prev_hash IS NULL));
CREATE UNIQUE INDEX history_chain ON history (lane, seq) WHERE lane IS NOT NULL;

-- The last row of each lane. A writer locks its lane's row (FOR UPDATE) until commit, so
-- the rows of a lane are appended one transaction after another.
CREATE TABLE history_head (
    lane    smallint PRIMARY KEY CHECK (lane >= 0),
    seq     bigint NOT NULL DEFAULT 0 CHECK (seq >= 0),
    hash    bytea NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'
);
INSERT INTO history_head (lane) SELECT generate_series(0, 63);

-- Every lane's head at a moment, signed (Ed25519) with the registry's audit key: a lane
-- rewritten consistently after a checkpoint no longer holds the head it recorded.
CREATE TABLE audit_checkpoint (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    heads       jsonb NOT NULL,    -- [[lane, seq, hash hex], ...]
    root        bytea NOT NULL,    -- SHA-256 of what is signed
    signature   bytea NOT NULL,
    public_key  bytea NOT NULL     -- raw Ed25519 public key that signed it
);
