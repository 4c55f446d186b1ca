"""Notification delivery: the dispatcher and the channel interface its adapters implement."""
