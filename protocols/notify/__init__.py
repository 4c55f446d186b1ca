"""Notifications: the outbox's deliveries and the channels that carry them."""
