-- The shop's customers: people who buy names. An account is usable once its email is verified;
-- the password is an scrypt hash (the consoles' format), never the password itself.
CREATE TABLE customer (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    password_hash text NOT NULL,
    name text NOT NULL DEFAULT '',
    email_verified_at timestamptz,
    credit numeric(12, 2) NOT NULL DEFAULT 0 CHECK (credit >= 0),  -- store credit, in the shop's currency
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customer_email ON customer (lower(email));
