"""Notifications: the outbox's dispatcher, the channel interface its adapters implement, and the delivery values."""
