"""Signed webhooks (Standard Webhooks): signing, the SSRF guard, the sending channel."""
