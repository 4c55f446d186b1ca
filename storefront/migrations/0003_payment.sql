-- Payments through the gateways (Stripe, PayPal), independent of the orders' tables: a payment
-- names its order by reference only. `reference` is the gateway's id (a Stripe PaymentIntent, a
-- PayPal order); `attempt_key` is ours (one per order attempt) and makes a retried creation find
-- the payment it already made. A webhook event is handled once: its (gateway, event_id) is stored
-- in the transaction that handles it, and `notified_at` says the order was told it is paid.
CREATE TABLE payment (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gateway text NOT NULL CHECK (gateway IN ('stripe', 'paypal')),
    reference text NOT NULL,
    attempt_key text NOT NULL,
    order_ref text NOT NULL,
    amount numeric NOT NULL CHECK (amount > 0),  -- in the currency's units (12.50 EUR, 1250 JPY)
    currency char(3) NOT NULL CHECK (currency = upper(currency)),
    state text NOT NULL DEFAULT 'created' CHECK (state IN ('created', 'paid', 'failed', 'mismatch')),
    notified_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (gateway, reference),
    UNIQUE (gateway, attempt_key)
);
CREATE INDEX payment_order_ref ON payment (order_ref);

CREATE TABLE payment_event (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gateway text NOT NULL,
    event_id text NOT NULL,
    event_type text NOT NULL,
    reference text,  -- the payment it is about, when it names one
    outcome text NOT NULL CHECK (outcome IN ('paid', 'duplicate', 'failed', 'refused', 'ignored')),
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (gateway, event_id)
);
