-- Abuse reports from people: the public web form, mail to the abuse address, registry
-- staff. A report attaches to the open case of its domain and threat type (opening one when
-- there is none); every reporter is kept with what they wrote. A case moves new -> triaged
-- -> registrar-notified -> action-taken -> closed; due_at is the next deadline (triage,
-- then the registrar's response), notified_at when the registrar was last told.

ALTER TABLE abuse_case DROP CONSTRAINT abuse_case_source_check;
ALTER TABLE abuse_case ADD CONSTRAINT abuse_case_source_check
    CHECK (source IN ('create-check', 'feed', 'report', 'web', 'email', 'staff'));
ALTER TABLE abuse_case ADD COLUMN notified_at timestamptz;
CREATE INDEX abuse_case_due ON abuse_case (due_at) WHERE state IN ('new', 'triaged', 'registrar-notified');

CREATE TABLE abuse_report (
    id              bigserial PRIMARY KEY,
    case_id         bigint NOT NULL REFERENCES abuse_case (id) ON DELETE CASCADE,
    source          text NOT NULL CHECK (source IN ('web', 'email', 'staff')),
    reporter_email  text NOT NULL,
    body            text NOT NULL,
    client          text,           -- the web client's address, the mail's Message-ID, the staff member
    received_at     timestamptz NOT NULL
);
CREATE INDEX abuse_report_case ON abuse_report (case_id, id);

-- The hours a sponsor has to answer a notified case, per TLD (NULL: the [abuse] default).
ALTER TABLE tld_risk_policy ADD COLUMN abuse_response_hours int CHECK (abuse_response_hours > 0);

-- The reporter's acknowledgement goes to the reporter's own address: the audience
-- `reporter:ADDRESS` names it (as `contact:HANDLE` does for verification codes).
ALTER TABLE notification_pref DROP CONSTRAINT notification_pref_audience_check;
ALTER TABLE notification_pref ADD CONSTRAINT notification_pref_audience_check
    CHECK (audience = 'operator' OR audience LIKE 'registrar:_%' OR audience LIKE 'contact:_%'
           OR audience LIKE 'reporter:_%');
