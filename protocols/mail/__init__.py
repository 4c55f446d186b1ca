"""Outbound notifications (coming): email over SMTP and signed webhooks, fed by the outbox."""
